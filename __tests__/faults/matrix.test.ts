/**
 * The fault matrix end to end (issue 11 item 6, docs/faults.md). `dist/cli.js sign` and
 * `verify` run as child processes against the real CNCF registry (docker-registry, fallback tag)
 * and the test Rekor log, each behind the fault-injecting proxy; the OIDC endpoint fails on
 * request. Every cell runs the command with one fault, records the outcome, runs it again
 * without the fault, and checks convergence: the registry lists exactly one complete signature
 * per statement, every one verifies, none is half-written, and the log holds no entry twice.
 * The matrix is printed and must equal the table in docs/faults.md (UPDATE_FAULTS_DOC=1 rewrites it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { discoveryKeyFinder } from '../../src/identity/jwks.js';
import { createTransport } from '../../src/oci/transport/client.js';
import type { Policy } from '../../src/policy/index.js';
import { createLogKeyring, LogPublicKey } from '../../src/tlog/keys.js';
import { RekorClient } from '../../src/tlog/rekor.js';
import { verifyImage } from '../../src/verify/index.js';
import { startDistribution, type Distribution } from '../fakes/distribution.js';
import { startFaultProxy, type FaultProxy } from '../fakes/fault-proxy.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { pushBuildkitImage, SLSA_V1, SPDX } from '../fixtures/buildkit-image.js';
import { describeWith } from '../requirements.js';
import {
  matrixTable,
  outcomeOf,
  runDistCli,
  SIGN_CELLS,
  VERIFY_CELLS,
  type Cell,
  type Finished,
  type Row,
} from './matrix.js';

const DOC = path.resolve('docs/faults.md');
const BEGIN = '<!-- fault-matrix:begin (written by __tests__/faults/matrix.test.ts) -->';
const END = '<!-- fault-matrix:end -->';
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

describeWith(['docker-registry', 'dist'], 'the fault matrix of sign and verify', () => {
  let dist: Distribution;
  let reg: FaultProxy;
  let log: FaultProxy;
  let rekor: RekorLog;
  let oidc: GithubOidc;
  let base: string;
  const rows: Row[] = [];
  const holder: { child?: import('node:child_process').ChildProcess } = {};

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'opk-faults-'));
    [dist, rekor, oidc] = await Promise.all([startDistribution({ mode: 'plain' }), startRekorLog(), startGithubOidc()]);
    [reg, log] = await Promise.all([startFaultProxy(dist.url), startFaultProxy(rekor.url)]);
    await writeFile(path.join(base, 'rekor.pem'), rekor.publicKeyPem);
  });
  afterAll(async () => {
    holder.child?.kill('SIGKILL');
    await Promise.all([reg?.close(), log?.close(), rekor?.close(), oidc?.close(), dist?.stop()]);
    await rm(base, { recursive: true, force: true });
    if (rows.length === 0) return;
    const table = matrixTable(rows);
    process.stdout.write(`\nfault matrix (docs/faults.md):\n\n${table}\n`);
  });

  const env = () => ({
    ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
  });
  const sign = (image: string, timeout?: string) =>
    runDistCli(
      [
        'sign',
        image,
        '--issuer',
        oidc.issuer,
        '--transparency-log',
        log.url,
        ...(timeout ? ['--timeout', timeout] : []),
      ],
      env(),
      holder,
    );
  const verify = (image: string, timeout?: string) =>
    runDistCli(
      [
        'verify',
        image,
        '--issuer',
        oidc.issuer,
        '--transparency-log',
        log.url,
        '--tlog-key',
        path.join(base, 'rekor.pem'),
        '--signer-claim',
        'repository=octo-org/octo-repo',
        '--require',
        SPDX,
        '--require',
        SLSA_V1,
        ...(timeout ? ['--timeout', timeout] : []),
      ],
      {},
      holder,
    );

  function arm(cell: Cell): void {
    reg.clear();
    log.clear();
    oidc.reset();
    if (cell.oidcFailOnce) oidc.failNext(1, cell.oidcFailOnce);
    for (const rule of cell.rules ?? []) {
      const proxy = cell.where === 'log' || rule.path?.source.includes('api\\/v1') ? log : reg;
      const fault =
        rule.fault === 'kill' ? { kind: 'hook' as const, run: () => holder.child?.kill('SIGKILL') } : rule.fault;
      proxy.add({ ...rule, fault });
    }
  }

  /** A fresh two-platform image with SBOM and provenance, in its own repository. */
  async function pushImage(n: number): Promise<{ direct: string; proxied: string }> {
    const t = createTransport(dist.host);
    try {
      const built = await pushBuildkitImage(t, { repository: `faults/c${n}`, seed: `fault-cell-${n}` });
      return {
        direct: `${dist.host}/faults/c${n}@${built.digest}`,
        proxied: `${reg.host}/faults/c${n}@${built.digest}`,
      };
    } finally {
      await t.close();
    }
  }

  /** Exactly one verifying signature per statement, nothing rejected, and no log entry twice. */
  async function converged(image: string): Promise<string | undefined> {
    const policy: Policy = {
      rules: [
        {
          scope: '**',
          signers: [{ name: 'ci', issuer: oidc.issuer, claims: { repository: 'octo-org/octo-repo' } }],
          threshold: 1,
          require: [SPDX, SLSA_V1],
          transparencyLog: 'required',
          level: 'enforce',
        },
      ],
      revoked: { digests: [], signers: [] },
    };
    const report = await verifyImage({
      image,
      policy,
      trust: {
        issuers: [oidc.issuer],
        findKey: discoveryKeyFinder(),
        logs: createLogKeyring([LogPublicKey.fromPem(rekor.publicKeyPem)]),
        commitmentClaims: { [oidc.issuer]: 'aud' },
      },
    });
    if (!report.passed) return 'verify did not pass';
    for (const p of report.platforms) {
      if (!PLATFORMS.includes(p.platform)) return `unexpected platform ${p.platform}`;
      if (p.rejected.length > 0) return `${p.platform}: ${p.rejected.length} referrer(s) rejected (half-written?)`;
      const types = p.signatures.map((s) => s.predicateType).sort();
      if (JSON.stringify(types) !== JSON.stringify([SLSA_V1, SPDX].sort()))
        return `${p.platform}: signatures ${JSON.stringify(types)}, want one per statement`;
    }
    return logHasNoDuplicates();
  }

  async function logHasNoDuplicates(): Promise<string | undefined> {
    const client = new RekorClient({ url: rekor.url });
    const bodies = new Set<string>();
    for (let i = 0; i < rekor.size(); i++) {
      const entry = await client.getEntryByIndex(i);
      const body = JSON.stringify(entry.body);
      if (bodies.has(body)) return `log entry ${i} is a duplicate`;
      bodies.add(body);
    }
    return undefined;
  }

  async function runCell(cell: Cell, n: number, image: { direct: string; proxied: string }): Promise<void> {
    const run = cell.command === 'sign' ? sign : verify;
    arm(cell);
    const first: Finished = await run(image.proxied, cell.timeout);
    reg.clear();
    log.clear();
    oidc.reset();
    const again = await run(image.proxied);
    const problem = await converged(image.direct);
    const row: Row = { cell, first: outcomeOf(first), rerun: outcomeOf(again), converged: problem === undefined };
    rows.push(row);
    expect({
      n,
      fault: cell.fault,
      first: row.first,
      rerun: row.rerun,
      problem,
      err: row.rerun === 'ok' ? '' : again.err,
    }).toEqual({
      n,
      fault: cell.fault,
      first: cell.expect,
      rerun: 'ok',
      problem: undefined,
      err: '',
    });
  }

  describe('sign', () => {
    it.each(SIGN_CELLS.map((c, i) => [i + 1, c.fault, c] as const))(
      'cell %i (%s): the first run ends as expected and a re-run converges',
      async (n, _fault, cell) => runCell(cell, n, await pushImage(n)),
      120_000,
    );
  });

  describe('verify', () => {
    let image: { direct: string; proxied: string };
    beforeAll(async () => {
      image = await pushImage(100);
      const r = await sign(image.proxied);
      expect(r.code).toBe(0);
    }, 60_000);

    it.each(VERIFY_CELLS.map((c, i) => [SIGN_CELLS.length + i + 1, c.fault, c] as const))(
      'cell %i (%s): the first run ends as expected and a re-run passes',
      async (n, _fault, cell) => runCell(cell, n, image),
      60_000,
    );
  });

  describe('docs/faults.md', () => {
    it('shows this matrix, all cells converged', () => {
      expect(rows).toHaveLength(SIGN_CELLS.length + VERIFY_CELLS.length);
      expect(rows.every((r) => r.converged)).toBe(true);
      const table = matrixTable(rows);
      const doc = readFileSync(DOC, 'utf8');
      const start = doc.indexOf(BEGIN);
      const end = doc.indexOf(END);
      if (process.env.UPDATE_FAULTS_DOC === '1') {
        const head = start >= 0 ? doc.slice(0, start) : `${doc.trimEnd()}\n\n`;
        const tail = end >= 0 ? doc.slice(end + END.length) : '\n';
        writeFileSync(DOC, `${head}${BEGIN}\n${table}${END}${tail}`);
        return;
      }
      expect(start).toBeGreaterThanOrEqual(0);
      expect(doc.slice(start + BEGIN.length + 1, end)).toBe(table);
    });
  });
});
