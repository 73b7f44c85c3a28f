/**
 * A test network for a child process (`NODE_OPTIONS=--import <this file>`), like a hosts file and
 * a port forward: HTTPS to a host named in OPK_TEST_ROUTES (JSON `{"host": port}`) goes to that
 * port on 127.0.0.1, with TLS still checked against the real host name (trust the test CA with
 * NODE_EXTRA_CA_CERTS); loopback goes through unchanged; any other host is refused at once, so a
 * test never reaches the internet and fails fast where it would have.
 *
 * It installs undici's global dispatcher, which both Node's fetch and the bundled undici of
 * dist/ use (one global, `Symbol.for('undici.globalDispatcher.1')`). It touches no project code.
 */
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
