/**
 * Harness for the real CNCF distribution 2.8 registry (`docker-registry`, Debian), on a free
 * loopback port, in three modes (see /work/shared/notes/test-components.md §1):
 * - `plain`: http, no auth, in-memory storage;
 * - `htpasswd-tls`: https with a self-signed certificate (openssl) and Basic auth (bcrypt htpasswd);
 * - `token`: http with Bearer token auth against `token-server.ts` (ES256 JWT with x5c).
 * Suites declare the need with `describeWith(['docker-registry'], …)` (../requirements.ts): under CI a
 * missing binary fails, elsewhere the suite skips.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTokenServer, type TokenServer } from './token-server.js';

export type DistributionMode = 'plain' | 'htpasswd-tls' | 'token';

export interface Distribution {
  /** `127.0.0.1:PORT`, as written in references. */
  host: string;
  /** `http://…` or `https://…` base URL. */
  url: string;
  /** The registry's CA (self-signed certificate), in `htpasswd-tls` mode. */
  caFile?: string;
  /** A user with pull and push (htpasswd-tls and token modes). */
  username?: string;
  password?: string;
  /** A user with pull only (token mode). */
  readOnlyUsername?: string;
  readOnlyPassword?: string;
  /** An identity (refresh) token for `username` (token mode). */
  identityToken?: string;
  tokenServer?: TokenServer;
  stop(): Promise<void>;
}

const TOOLS = { registry: 'docker-registry', openssl: 'openssl', htpasswd: 'htpasswd' };
const SERVICE = 'registry.test';
const ISSUER = 'test-token-issuer';

/** Whether the registry and the tools the modes need are installed. */
export function distributionAvailable(): boolean {
  return Object.values(TOOLS).every((t) => which(t) !== undefined);
}

/** Starts a registry; the caller must `stop()` it (afterAll). */
export async function startDistribution(o: { mode: DistributionMode }): Promise<Distribution> {
  const dir = mkdtempSync(path.join(tmpdir(), 'opk-dist-'));
  let tokenServer: TokenServer | undefined;
  try {
    const secrets = {
      username: 'alice',
      password: `pw-${randomBytes(9).toString('hex')}`,
      readOnlyUsername: 'bob',
      readOnlyPassword: `ro-${randomBytes(9).toString('hex')}`,
      identityToken: `idt-${randomBytes(12).toString('hex')}`,
    };
    let auth = '';
    let tls = '';
    if (o.mode === 'htpasswd-tls') {
      makeTlsCert(dir);
      const line = execFileSync(which(TOOLS.htpasswd)!, ['-Bbn', secrets.username, secrets.password], {
        encoding: 'utf8',
      });
      writeFileSync(path.join(dir, 'htpasswd'), line.trim() + '\n');
      tls = `, tls: {certificate: ${path.join(dir, 'tls.crt')}, key: ${path.join(dir, 'tls.key')}}`;
      auth = `auth: {htpasswd: {realm: test-realm, path: ${path.join(dir, 'htpasswd')}}}\n`;
    }
    if (o.mode === 'token') {
      selfSignedCert(dir, 'token', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=token-issuer');
      tokenServer = await startTokenServer({
        issuer: ISSUER,
        service: SERVICE,
        keyPem: readFileSync(path.join(dir, 'token.key'), 'utf8'),
        certPem: readFileSync(path.join(dir, 'token.crt'), 'utf8'),
        users: {
          [secrets.username]: { password: secrets.password, actions: ['pull', 'push'] },
          [secrets.readOnlyUsername]: { password: secrets.readOnlyPassword, actions: ['pull'] },
        },
        refreshTokens: { [secrets.identityToken]: secrets.username },
      });
      auth = `auth: {token: {realm: "${tokenServer.realm}", service: ${SERVICE}, issuer: ${ISSUER}, rootcertbundle: ${path.join(dir, 'token.crt')}}}\n`;
    }
    const { child, port } = await spawnOnFreePort(
      dir,
      (port) =>
        'version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\nstorage: {inmemory: {}, delete: {enabled: true}}\n' +
        `http: {addr: "127.0.0.1:${port}", secret: ${randomBytes(8).toString('hex')}${tls}}\n` +
        auth,
    );
    const host = `127.0.0.1:${port}`;
    const stop = async (): Promise<void> => {
      await kill(child);
      await tokenServer?.close();
      rmSync(dir, { recursive: true, force: true });
    };
    const common = { host, url: `${o.mode === 'htpasswd-tls' ? 'https' : 'http'}://${host}`, stop };
    if (o.mode === 'plain') return common;
    if (o.mode === 'htpasswd-tls')
      return { ...common, caFile: path.join(dir, 'tls.crt'), username: secrets.username, password: secrets.password };
    return { ...common, ...secrets, tokenServer: tokenServer! };
  } catch (err) {
    await tokenServer?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Writes `tls.key`/`tls.crt` for 127.0.0.1 and localhost into `dir` (for small https fakes). */
export function makeTlsCert(dir: string): { keyFile: string; certFile: string } {
  selfSignedCert(dir, 'tls', ['-newkey', 'rsa:2048'], '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  return { keyFile: path.join(dir, 'tls.key'), certFile: path.join(dir, 'tls.crt') };
}

/** Writes `<name>.key`/`<name>.crt` into `dir`: a self-signed certificate for these DNS names (for https fakes behind routed host names). */
export function makeTlsCertFor(dir: string, name: string, hosts: readonly string[]): { key: string; cert: string } {
  const san = `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`;
  selfSignedCert(dir, name, ['-newkey', 'rsa:2048'], `/CN=${hosts[0]}`, san);
  return { key: path.join(dir, `${name}.key`), cert: path.join(dir, `${name}.crt`) };
}

function selfSignedCert(dir: string, name: string, keyArgs: string[], subject: string, san?: string): void {
  execFileSync(
    which(TOOLS.openssl)!,
    [
      'req',
      '-x509',
      ...keyArgs,
      '-nodes',
      '-keyout',
      path.join(dir, `${name}.key`),
      '-out',
      path.join(dir, `${name}.crt`),
      '-days',
      '2',
      '-subj',
      subject,
      ...(san ? ['-addext', san] : []),
    ],
    { stdio: 'ignore' },
  );
}

/** Picks a free port (bind 0, close), starts the registry, retries on a clash with another process. */
async function spawnOnFreePort(
  dir: string,
  config: (port: number) => string,
): Promise<{ child: ChildProcess; port: number }> {
  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const file = path.join(dir, 'config.yml');
    writeFileSync(file, config(port));
    const child = spawn(which(TOOLS.registry)!, ['serve', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
    });
    if (await ready(child, port, config(port).includes('tls:'))) return { child, port };
    await kill(child);
    lastLog = log;
    if (!/address already in use/i.test(log)) break;
  }
  throw new Error(`docker-registry did not start: ${lastLog.slice(-2000)}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `/v2/` until our registry answers (~70 ms), or it exits, or 10 s pass. */
async function ready(child: ChildProcess, port: number, tls: boolean): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    // The API version header tells our registry apart from another process that took the port.
    if (await answersAsRegistry(port, tls)) return child.exitCode === null;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

function answersAsRegistry(port: number, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    // The harness only probes readiness; the certificate is checked by the tests themselves.
    const req = (tls ? httpsGet : httpGet)(
      { host: '127.0.0.1', port, path: '/v2/', rejectUnauthorized: false, timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.headers['docker-distribution-api-version'] === 'registry/2.0');
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

function which(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin'])) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory; keep looking
    }
  }
  return undefined;
}
