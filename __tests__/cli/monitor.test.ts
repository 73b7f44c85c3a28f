/**
 * `opk-attest monitor` end to end: the CLI against the test log of __tests__/monitor/signed-log.ts,
 * with a policy file, a pinned log key and a state file. Exit 3 and exactly the disallowed
 * signatures on the first run; exit 0 on a re-run; only the new signature after more signing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { evilWorkflow, otherRepository, startSignedLog, type SignedLog } from '../monitor/signed-log.js';
import { cli } from './run-cli.js';

let s: SignedLog;
let disallowed: number[];
let args: string[];
let stateFile: string;

beforeAll(async () => {
  s = await startSignedLog();
  await s.signAs();
  disallowed = [...(await s.signAs(evilWorkflow)), ...(await s.signAs(otherRepository))];
  const policy = path.join(s.dir, 'policy.json');
  const key = path.join(s.dir, 'rekor.pem');
  stateFile = path.join(s.dir, 'monitor-state.json');
  await writeFile(policy, JSON.stringify(s.policy()));
  await writeFile(key, s.rekor.publicKeyPem);
  args = ['monitor', '--log', s.rekor.url, '--identity', 'repository_owner=octo-org', '--policy', policy];
  args.push('--issuer', s.oidc.issuer, '--tlog-key', key, '--state', stateFile);
});
afterAll(() => s?.close());

describe('opk-attest monitor', () => {
  it('exits 3 with exactly the disallowed signatures, then 0 on a re-run, then 3 for a new one only', async () => {
    const first = await cli(...args, '--start-index', '0', '--json');
    expect(first.code).toBe(3);
    const report = JSON.parse(first.out);
    expect(report.findings.map((f: { logIndex: number }) => f.logIndex).sort((a: number, b: number) => a - b)).toEqual(
      disallowed,
    );
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({
      nextIndex: s.rekor.size(),
      logID: s.rekor.logId,
    });

    const again = await cli(...args);
    expect(again.code).toBe(0);
    expect(again.out).toContain('0 signature(s) reported');

    const added = await s.signAs(evilWorkflow);
    const third = await cli(...args);
    expect(third.code).toBe(3);
    expect(third.out.match(/REPORT log \d+/g)).toEqual(added.map((i) => `REPORT log ${i}`));
    expect(third.out).toContain('unknown-workflow');
  });

  it('exits 2 without --log, and names the bad --identity', async () => {
    expect((await cli('monitor', '--identity', 'repository=x')).code).toBe(2);
    const bad = await cli(...args, '--identity', 'no-equals-sign');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('no-equals-sign');
  });

  it('exits 1 naming the file when the state file is corrupt, and leaves it as it was', async () => {
    const corrupt = path.join(s.dir, 'corrupt.json');
    await writeFile(corrupt, '{"version": 1');
    const r = await cli(...args.slice(0, -1), corrupt);
    expect(r.code).toBe(1);
    expect(r.err).toContain('MONITOR_STATE_INVALID');
    expect(await readFile(corrupt, 'utf8')).toBe('{"version": 1');
  });
});
