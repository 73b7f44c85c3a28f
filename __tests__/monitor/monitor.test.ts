/**
 * monitorLog against a test log holding real signatures: an allowed workflow, another workflow of
 * the same repository, another repository of the same owner and an unwatched stranger. It must
 * report exactly the disallowed ones, resume from its state without reporting twice, stop within
 * its budgets with the state saved, and refuse a log that forked, rolled back or hides entries.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { discoveryKeyFinder } from '../../src/identity/index.js';
import { monitorLog, parseIdentities, type MonitorOptions, type MonitorState } from '../../src/monitor/index.js';
import { createLogKeyring, LogPublicKey, RekorClient } from '../../src/tlog/index.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { expectCode } from '../helpers.js';
import {
  EVIL,
  OTHER_REPO,
  evilWorkflow,
  otherRepository,
  startSignedLog,
  stranger,
  type SignedLog,
} from './signed-log.js';

let s: SignedLog;
let allowed: number[];
let evil: number[];
let other: number[];
let strangers: number[];

beforeAll(async () => {
  s = await startSignedLog();
  allowed = await s.signAs();
  evil = await s.signAs(evilWorkflow);
  other = await s.signAs(otherRepository);
  strangers = await s.signAs(stranger);
});
afterAll(() => s?.close());

/** Runs the monitor over `log` (default the signed log) keeping its state in memory. */
function runner(log: RekorLog = s.rekor) {
  let state: MonitorState | undefined;
  const saves: MonitorState[] = [];
  const run = (o: Partial<MonitorOptions> = {}) =>
    monitorLog({
      client: new RekorClient({ url: log.url, backoffMs: 5 }),
      logs: createLogKeyring([LogPublicKey.fromPem(log.publicKeyPem)]),
      trust: { issuers: [s.oidc.issuer], findKey: discoveryKeyFinder(), commitmentClaims: { [s.oidc.issuer]: 'aud' } },
      policy: s.policy(),
      identities: parseIdentities(['repository_owner=octo-org']),
      ...(state ? { state } : { startIndex: 0 }),
      deadline: Date.now() + 60_000,
      saveState: async (x) => {
        state = x;
        saves.push(x);
      },
      ...o,
    });
  return { run, saves, state: () => state, setState: (x: MonitorState) => (state = x) };
}

describe('monitorLog', () => {
  describe('when the log holds allowed, disallowed and unwatched signatures', () => {
    it('reports exactly the other workflow and the other repository, with their reasons', async () => {
      const r = await runner().run();
      expect(r.from).toBe(0);
      expect(r.to).toBe(s.rekor.size());
      expect(r.findings.map((f) => f.logIndex).sort((a, b) => a - b)).toEqual([...evil, ...other]);
      for (const f of r.findings.filter((x) => evil.includes(x.logIndex)))
        expect(f).toMatchObject({ reason: 'unknown-workflow', workflow: EVIL, integratedTimeVerified: true });
      for (const f of r.findings.filter((x) => other.includes(x.logIndex)))
        expect(f).toMatchObject({ reason: 'unknown-repository', repository: OTHER_REPO });
      expect(r.allowed).toBe(allowed.length);
      expect(r.watched).toBe(allowed.length + evil.length + other.length);
      expect(r.unverifiable).toEqual([]);
      expect(r.findings.some((f) => strangers.includes(f.logIndex))).toBe(false);
      expect(r.remaining).toBe(0);
    });
  });

  describe('when the signer rule is revoked', () => {
    it('reports the allowed workflow too, as revoked-signer', async () => {
      const r = await runner().run({ policy: s.policy(['release']) });
      const revoked = r.findings.filter((f) => f.reason === 'revoked-signer').map((f) => f.logIndex);
      expect(revoked.sort((a, b) => a - b)).toEqual(allowed);
    });
  });

  describe('when run again after new signatures', () => {
    it('reads only the new entries and reports only the new disallowed one, once', async () => {
      const m = runner();
      const first = await m.run();
      expect(first.findings).toHaveLength(evil.length + other.length);
      const again = await s.signAs(evilWorkflow);
      await s.signAs();
      const second = await m.run();
      expect(second.from).toBe(first.to);
      expect(second.findings.map((f) => f.logIndex)).toEqual(again);
      const third = await m.run();
      expect(third.from).toBe(third.to);
      expect(third.findings).toEqual([]);
    });
  });

  describe('when the log grows while the run reads it', () => {
    it("checks the entries' newer checkpoints for consistency and reads only up to the run's checkpoint", async () => {
      const m = runner();
      let grown = false;
      const size = s.rekor.size();
      s.rekor.requests.length = 0;
      const r = await m.run({
        saveState: async (x) => {
          m.setState(x);
          if (!grown) {
            grown = true;
            await s.signAs(evilWorkflow);
          }
        },
      });
      expect(r.treeSize).toBe(size);
      expect(r.to).toBe(size);
      expect(s.rekor.size()).toBeGreaterThan(size);
      expect(s.rekor.requests.filter((q) => q.startsWith('GET /api/v1/log/proof?firstSize=')).length).toBeGreaterThan(
        0,
      );
    });
  });

  describe('when a run is capped by --max-entries', () => {
    it('saves its place after every batch, and the runs together report what one run reports', async () => {
      const m = runner();
      const found: number[] = [];
      for (let n = 0; n < 100; n++) {
        const r = await m.run({ maxEntries: 3, batchSize: 2 });
        found.push(...r.findings.map((f) => f.logIndex));
        if (r.remaining === 0) break;
        expect(r.stoppedBy).toBe('max-entries');
        expect(r.to - r.from).toBe(3);
      }
      const once = await runner().run();
      expect(found).toEqual(once.findings.map((f) => f.logIndex));
      expect(m.saves.length).toBeGreaterThan(s.rekor.size() / 2);
    });
  });

  describe('when the time budget is already spent', () => {
    it('reads nothing, saves the verified checkpoint and says it stopped', async () => {
      const m = runner();
      const r = await m.run({ deadline: Date.now() - 1 });
      expect(r).toMatchObject({ stoppedBy: 'timeout', from: 0, to: 0, remaining: s.rekor.size() });
      expect(m.state()).toMatchObject({ nextIndex: 0, logID: s.rekor.logId });
    });
  });

  describe('when the log forks after the saved checkpoint', () => {
    it('refuses it with TLOG_CONSISTENCY_INVALID', async () => {
      const m = runner();
      await m.run();
      const size = s.rekor.size();
      // Same key and origin, the same first entry, then another history at least as long.
      const state = JSON.parse(await readFile(s.logState, 'utf8'));
      state.entries = [state.entries[0], ...state.entries.slice(2), state.entries[1]];
      const file = path.join(s.dir, 'forked.json');
      await writeFile(file, JSON.stringify(state));
      const forked = await startRekorLog({ stateFile: file });
      try {
        expect(forked.size()).toBe(size);
        const f = runner(forked);
        f.setState(m.state()!);
        await expectCode(() => f.run(), 'TLOG_CONSISTENCY_INVALID');
      } finally {
        await forked.close();
      }
    });
  });

  describe('when the log rolls back to fewer entries', () => {
    it('refuses it with TLOG_CONSISTENCY_INVALID', async () => {
      const m = runner();
      await m.run();
      const state = JSON.parse(await readFile(s.logState, 'utf8'));
      state.entries = state.entries.slice(0, 3);
      const file = path.join(s.dir, 'rolled-back.json');
      await writeFile(file, JSON.stringify(state));
      const back = await startRekorLog({ stateFile: file });
      try {
        const f = runner(back);
        f.setState(m.state()!);
        await expectCode(() => f.run(), 'TLOG_CONSISTENCY_INVALID');
      } finally {
        await back.close();
      }
    });
  });

  describe('when the log merely grew (a copy with more entries)', () => {
    it('accepts the consistency proof (the control for the refusals above)', async () => {
      const m = runner();
      await m.run();
      const file = path.join(s.dir, 'grown.json');
      await copyFile(s.logState, file);
      const grown = await startRekorLog({ stateFile: file });
      try {
        const f = runner(grown);
        f.setState(m.state()!);
        expect((await f.run()).findings).toEqual([]);
      } finally {
        await grown.close();
      }
    });
  });

  describe('when the log hides an entry of its signed tree', () => {
    it('throws MONITOR_ENTRY_MISSING', async () => {
      const file = path.join(s.dir, 'hiding.json');
      await copyFile(s.logState, file);
      const hiding = await startRekorLog({ stateFile: file });
      try {
        hiding.hide(evil[0]!);
        await expectCode(() => runner(hiding).run(), 'MONITOR_ENTRY_MISSING');
      } finally {
        await hiding.close();
      }
    });
  });

  describe('when the log signs with a key that is not trusted', () => {
    it('throws MONITOR_LOG_UNTRUSTED', async () => {
      const stranger = await startRekorLog();
      try {
        await expectCode(
          () => runner().run({ logs: createLogKeyring([LogPublicKey.fromPem(stranger.publicKeyPem)]) }),
          'MONITOR_LOG_UNTRUSTED',
        );
      } finally {
        await stranger.close();
      }
    });
  });

  describe('when the saved state is for another log key', () => {
    it('throws MONITOR_STATE_INVALID', async () => {
      const m = runner();
      await m.run();
      m.setState({ ...m.state()!, logID: 'ab'.repeat(32) });
      await expectCode(() => m.run(), 'MONITOR_STATE_INVALID');
    });
  });

  describe("when the saved checkpoint's signature was altered", () => {
    it('throws TLOG_CHECKPOINT_SIGNATURE_INVALID', async () => {
      const m = runner();
      await m.run();
      const cp = m.state()!.checkpoint;
      const note = cp.slice(0, cp.indexOf('\n\n'));
      const lines = note.split('\n');
      lines[2] = Buffer.alloc(32, 1).toString('base64');
      m.setState({ ...m.state()!, checkpoint: `${lines.join('\n')}${cp.slice(cp.indexOf('\n\n'))}` });
      await expectCode(() => m.run(), 'TLOG_CHECKPOINT_SIGNATURE_INVALID');
    });
  });

  describe('when the first run starts beyond the tree', () => {
    it('throws MONITOR_STATE_INVALID', () =>
      expectCode(() => runner().run({ startIndex: s.rekor.size() + 1 }), 'MONITOR_STATE_INVALID'));
  });
});
