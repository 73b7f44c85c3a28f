/**
 * A test network for a child process (`NODE_OPTIONS=--import <this file>`), like a hosts file and
 * a port forward: HTTPS to a host named in OPK_TEST_ROUTES (JSON `{"host": port}`) goes to that
 * port on 127.0.0.1, with TLS still checked against the real host name (trust the test CA with
 * NODE_EXTRA_CA_CERTS); loopback goes through unchanged; any other host is refused at once, so a
 * test never reaches the internet and fails fast where it would have.
 *
 * It routes both HTTP engines: Node's http/https clients (what the project's code uses), by the
 * connection hook of their agents, and undici's global dispatcher (Node's fetch, and any bundled
 * undici: one global, `Symbol.for('undici.globalDispatcher.1')`). It touches no project code.
 */
import http from 'node:http';
import https from 'node:https';
import { Agent, buildConnector, setGlobalDispatcher } from 'undici';

const routes = JSON.parse(process.env.OPK_TEST_ROUTES ?? '{}');
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]|::1)$/;
const direct = buildConnector({});

function connect(opts, callback) {
  const port = Object.hasOwn(routes, opts.hostname) ? routes[opts.hostname] : undefined;
  if (port !== undefined) {
    return direct(
      { ...opts, hostname: '127.0.0.1', host: `127.0.0.1:${port}`, port, servername: opts.hostname },
      callback,
    );
  }
  if (LOOPBACK.test(opts.hostname)) return direct(opts, callback);
  const err = Object.assign(new Error(`connect ECONNREFUSED ${opts.hostname} (test network: not routed)`), {
    code: 'ECONNREFUSED',
  });
  process.nextTick(() => callback(err, null));
  return undefined;
}

setGlobalDispatcher(new Agent({ connect }));

/** The same routes for Node's agents (every https.Agent and http.Agent, custom ones included). */
for (const AgentClass of [https.Agent, http.Agent]) {
  const original = AgentClass.prototype.createConnection;
  AgentClass.prototype.createConnection = function (options, callback) {
    const hostname = options.servername || options.hostname || options.host;
    const port = Object.hasOwn(routes, hostname) ? routes[hostname] : undefined;
    if (port !== undefined)
      return original.call(
        this,
        { ...options, host: '127.0.0.1', hostname: '127.0.0.1', port, servername: hostname },
        callback,
      );
    if (LOOPBACK.test(options.hostname ?? options.host ?? '')) return original.call(this, options, callback);
    throw Object.assign(new Error(`connect ECONNREFUSED ${hostname} (test network: not routed)`), {
      code: 'ECONNREFUSED',
    });
  };
}
