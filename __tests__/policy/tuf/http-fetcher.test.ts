/**
 * The TUF client's downloads go through core/http with the command's deadline: a mirror that
 * stalls after the headers or keeps answering 503 ends within the budget as CORE_BUDGET_EXCEEDED
 * (not a TUF code: tuf-js's own wrapping must not hide it), while a healthy mirror still reads.
 */
import { Deadline } from '../../../src/core/deadline.js';
import { loadTrust } from '../../../src/policy/trust-bundle.js';
import { openTufRepository } from '../../../src/policy/tuf/client.js';
import { startFaultProxy, type FaultProxy } from '../../fakes/fault-proxy.js';
import { startStaticServer, type StaticServer } from '../../fakes/static-server.js';
import { expectCode } from '../../helpers.js';
import { makeRepo, stageTypical, type Fixture } from './repo-fixture.js';

let f: Fixture;
let server: StaticServer;
let proxy: FaultProxy;
beforeAll(async () => {
  f = await makeRepo();
  await stageTypical(f.dir);
  await f.publish();
  server = await startStaticServer(f.repository);
  proxy = await startFaultProxy(server.url);
});
afterEach(() => proxy.clear());
afterAll(async () => {
  await Promise.all([proxy.close(), server.close()]);
  await f.cleanup();
});

const budget = (ms: number) => new Deadline(ms, { setting: '--timeout' });
let n = 0;
const cacheDir = () => `${f.cache}-${++n}`;

describe('openTufRepository with a deadline', () => {
  describe.each([
    ['timestamp.json', /\/timestamp\.json$/],
    ['snapshot metadata (wrapped by tuf-js)', /snapshot\.json$/],
  ])('when the mirror stalls on %s', (_name, path) => {
    it('ends within the budget with CORE_BUDGET_EXCEEDED', async () => {
      proxy.add({ method: 'GET', path, times: 10, fault: { kind: 'stall' } });
      const start = performance.now();
      await expectCode(
        () =>
          openTufRepository({
            repository: proxy.url,
            trustedRoot: f.rootFile,
            cacheDir: cacheDir(),
            deadline: budget(800),
          }),
        'CORE_BUDGET_EXCEEDED',
      );
      expect(performance.now() - start).toBeLessThan(800 + 2500);
    });
  });

  describe('when the mirror keeps answering 503', () => {
    it('retries within the budget and stops at it', async () => {
      proxy.add({ method: 'GET', path: /\/timestamp\.json$/, times: 100, fault: { kind: 'status', status: 503 } });
      await expectCode(
        () =>
          openTufRepository({
            repository: proxy.url,
            trustedRoot: f.rootFile,
            cacheDir: cacheDir(),
            retries: 50,
            deadline: budget(1500),
          }),
        'CORE_BUDGET_EXCEEDED',
      );
      expect(proxy.requests.filter((r) => r.fault === 'status').length).toBeGreaterThan(1);
    });
  });

  describe('when the mirror answers', () => {
    it('loads the trust bundle through the fetcher', async () => {
      const bundle = await loadTrust({
        repository: proxy.url,
        trustedRoot: f.rootFile,
        cacheDir: cacheDir(),
        deadline: budget(20_000),
      });
      expect(bundle.policy.rules.length).toBeGreaterThan(0);
      expect(proxy.requests.some((r) => r.path.endsWith('timestamp.json'))).toBe(true);
    });
  });
});
