/**
 * `--timeout`: one overall budget for a command's network work. A registry (behind the fault
 * proxy) that sends headers and then nothing, or asks for a retry later than the budget allows,
 * ends `verify` within the budget with CORE_BUDGET_EXCEEDED naming the flag; a TUF mirror that
 * stalls spends the same budget; a normal verify passes with and without the flag.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { runCli } from '../../src/cli/run.js';
import { githubActionsProvider } from '../../src/identity/oidc/index.js';
import { createTransport } from '../../src/oci/transport/client.js';
import { signImages } from '../../src/sign/index.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { startFaultProxy, type FaultProxy } from '../fakes/fault-proxy.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';

interface Run {
  code: number;
  out: string;
  err: string;
  ms: number;
}

async function cli(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const o = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  const start = performance.now();
  try {
    return { code: await runCli(argv), out, err, ms: performance.now() - start };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

let base: string;
let oidc: GithubOidc;
let rekor: RekorLog;
let api: OciRegistry;
let proxy: FaultProxy;
let digest: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'opk-timeout-'));
  [oidc, rekor, api] = await Promise.all([startGithubOidc(), startRekorLog(), startOciRegistry()]);
  proxy = await startFaultProxy(api.url);
  const t = createTransport(api.host);
  digest = (await pushBuildkitImage(t, { repository: 'acme/app', seed: 'timeout' })).digest;
  await t.close();
  const provider = githubActionsProvider({
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
    issuer: oidc.issuer,
    setSecret: () => {},
  });
  await signImages({ images: [`${api.host}/acme/app@${digest}`], provider, transparencyLog: rekor.url });
  await writeFile(path.join(base, 'rekor.pem'), rekor.publicKeyPem);
  // Load the command modules now, so the timed runs below measure the commands, not module loading.
  await cli('verify', '--help');
  await cli('inspect', '--help');
});
afterEach(() => proxy.clear());
afterAll(async () => {
  await Promise.all([oidc.close(), rekor.close(), api.close(), proxy.close()]);
  await rm(base, { recursive: true, force: true });
});

const verify = (...extra: string[]) =>
  cli(
    'verify',
    `${proxy.host}/acme/app@${digest}`,
    '--issuer',
    oidc.issuer,
    '--transparency-log',
    rekor.url,
    '--tlog-key',
    path.join(base, 'rekor.pem'),
    '--signer-claim',
    'repository=octo-org/octo-repo',
    ...extra,
  );

describe('verify --timeout', () => {
  describe('when the registry sends headers and then nothing', () => {
    it('ends within the budget with CORE_BUDGET_EXCEEDED naming --timeout', async () => {
      proxy.add({ method: 'GET', path: /\/manifests\//, times: 100, fault: { kind: 'stall' } });
      const r = await verify('--timeout', '2s');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/the 2s time budget \(--timeout\) ran out .*; raise --timeout .*\[CORE_BUDGET_EXCEEDED\]/);
      expect(r.ms).toBeLessThan(2000 + 2500); // the budget, plus slack for a loaded machine
    });
  });

  describe('when the registry asks for a retry after the budget', () => {
    it('starts no retry and fails at once with CORE_BUDGET_EXCEEDED', async () => {
      proxy.add({
        method: 'GET',
        path: /\/manifests\//,
        times: 100,
        fault: { kind: 'status', status: 429, headers: { 'retry-after': '30' } },
      });
      const r = await verify('--timeout', '10s');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /ran out after HTTP 429: retry 2 would start after the budget ends.*\[CORE_BUDGET_EXCEEDED\]/,
      );
      expect(r.ms).toBeLessThan(5000);
      expect(proxy.requests.filter((q) => q.fault === 'status')).toHaveLength(1);
    });
  });

  describe('when the registry answers', () => {
    it('verifies with the default budget and with an explicit one', async () => {
      for (const extra of [[], ['--timeout', '1m30s']]) {
        const r = await verify(...extra);
        expect({ extra, code: r.code, err: r.err }).toEqual({ extra, code: 0, err: '' });
      }
    });
  });

  describe('when --timeout is not a duration', () => {
    it.each(['0', 'soon', '5x'])('refuses %j as a usage error', async (value) => {
      const r = await verify('--timeout', value);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--timeout must be a positive duration/);
    });
  });
});

describe('inspect --timeout', () => {
  describe('when the registry sends headers and then nothing', () => {
    it('ends within the budget with CORE_BUDGET_EXCEEDED naming --timeout', async () => {
      proxy.add({ method: 'GET', path: /\/manifests\//, times: 100, fault: { kind: 'stall' } });
      const r = await cli('inspect', `${proxy.host}/acme/app@${digest}`, '--timeout', '2s');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/the 2s time budget \(--timeout\) ran out .*\[CORE_BUDGET_EXCEEDED\]/);
      expect(r.ms).toBeLessThan(2000 + 2500); // the budget, plus slack for a loaded machine
    });
  });
});
