import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { LogPublicKey, createLogKeyring, type LogKeyring } from '../../src/tlog/keys.js';
import { RekorClient } from '../../src/tlog/rekor.js';
import type { TlogEntry } from '../../src/tlog/entry.js';
import { verifyTlogEntry } from '../../src/tlog/verify-entry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { expectCode } from '../helpers.js';
import { makeSignature, type TestSignature } from './signing.js';

let log: RekorLog;
let client: RekorClient;
let logs: LogKeyring;
let a: TestSignature;
let b: TestSignature;
let entryA: TlogEntry;
let entryB: TlogEntry;

beforeAll(async () => {
  log = await startRekorLog();
  client = new RekorClient({ url: log.url, backoffMs: 5 });
  logs = createLogKeyring([LogPublicKey.fromPem(log.publicKeyPem)]);
  a = makeSignature('a');
  b = makeSignature('b');
  entryA = await client.createEntry(a.proposal);
  entryB = await client.createEntry(b.proposal);
  await client.createEntry(makeSignature('c').proposal);
  // Re-read A so its proof is against the latest tree (size 3).
  entryA = await client.getEntry(entryA.uuid);
});
afterAll(() => log.close());

const clone = (e: TlogEntry): TlogEntry => structuredClone(e);
const otherKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

/** Re-signs a checkpoint's note with `key`, with `key`'s own key hint. */
function resignCheckpoint(checkpoint: string, key: KeyObject, name = log.hostname): string {
  const note = checkpoint.slice(0, checkpoint.indexOf('\n\n') + 1);
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const hint = createHash('sha256').update(spki).digest().subarray(0, 4);
  const sig = sign('sha256', Buffer.from(note), { key, dsaEncoding: 'der' });
  return `${note}\n\u2014 ${name} ${Buffer.concat([hint, sig]).toString('base64')}\n`;
}

describe('verifyTlogEntry', () => {
  describe('when the entry was just logged', () => {
    it('verifies the SET and the inclusion proof and reports index and time', () => {
      const v = verifyTlogEntry(entryA, a.expected, logs);
      expect(v).toEqual({
        uuid: entryA.uuid,
        logID: log.logId,
        logIndex: 0,
        integratedTime: entryA.integratedTime,
        integratedTimeVerified: true,
        inclusionVerified: true,
        treeSize: 3,
      });
      expect(verifyTlogEntry(entryB, b.expected, logs).logIndex).toBe(1);
    });
    it('accepts the entry after a JSON round trip (as stored in ext.tl)', () => {
      expect(verifyTlogEntry(JSON.parse(JSON.stringify(entryA)), a.expected, logs).inclusionVerified).toBe(true);
    });
  });

  describe('with a memo of the certificates parsed so far', () => {
    it('parses each logged certificate once and still checks it against each envelope', async () => {
      const certificates = new Map();
      expect(verifyTlogEntry(entryA, a.expected, logs, { certificates }).logIndex).toBe(0);
      expect(verifyTlogEntry(entryB, b.expected, logs, { certificates }).logIndex).toBe(1);
      expect(certificates.size).toBe(2);
      const parsedA = [...certificates.values()][0];
      expect(verifyTlogEntry(clone(entryA), a.expected, logs, { certificates }).logIndex).toBe(0);
      expect(certificates.size).toBe(2);
      expect([...certificates.values()][0]).toBe(parsedA);
      // The memo stands in for the parse only: the envelope's own token and key are still compared.
      await expectCode(
        () => verifyTlogEntry(entryA, { ...a.expected, pkTokenJson: b.expected.pkTokenJson }, logs, { certificates }),
        'TLOG_BODY_CERT_MISMATCH',
      );
      await expectCode(
        () => verifyTlogEntry(entryA, { ...a.expected, spkiDer: b.key.spkiDer }, logs, { certificates }),
        'TLOG_BODY_CERT_MISMATCH',
      );
    });
  });

  describe('when only the SET is present', () => {
    const setOnly = (): TlogEntry => {
      const e = clone(entryA);
      delete e.verification.inclusionProof;
      return e;
    };
    it('verifies with the SET alone', () =>
      expect(verifyTlogEntry(setOnly(), a.expected, logs).inclusionVerified).toBe(false));
    it('throws TLOG_PROOF_MISSING when an inclusion proof is required', () =>
      expectCode(
        () => verifyTlogEntry(setOnly(), a.expected, logs, { requireInclusionProof: true }),
        'TLOG_PROOF_MISSING',
      ));
  });

  describe('when only the inclusion proof is present (the SET stripped)', () => {
    const stripped = (): TlogEntry => {
      const e = clone(entryA);
      delete e.verification.signedEntryTimestamp;
      return e;
    };
    it('verifies, but hands on no integrated time', () => {
      const v = verifyTlogEntry(stripped(), a.expected, logs);
      expect(v).toMatchObject({ inclusionVerified: true, integratedTimeVerified: false });
      expect(v).not.toHaveProperty('integratedTime');
      expect(v).not.toHaveProperty('checkpointTime');
    });
    it('hands on no integrated time either when the claimed one was changed', () => {
      const e = stripped();
      e.integratedTime = 4_000_000_000;
      expect(verifyTlogEntry(e, a.expected, logs)).not.toHaveProperty('integratedTime');
    });
    it('throws TLOG_CHECKPOINT_SIGNATURE_INVALID when the checkpoint is not signed by the trusted log key', () => {
      const e = stripped();
      e.verification.inclusionProof!.checkpoint = resignCheckpoint(
        e.verification.inclusionProof!.checkpoint,
        otherKey(),
      );
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_CHECKPOINT_SIGNATURE_INVALID');
    });
  });

  describe('when the checkpoint carries a signed Timestamp line', () => {
    it('reports it as checkpointTime, and a changed Timestamp breaks the checkpoint signature', async () => {
      const stamped = await startRekorLog({ checkpointTimestamp: true, now: () => 1_800_000_000 });
      try {
        const s = makeSignature('stamped');
        const e = await new RekorClient({ url: stamped.url, backoffMs: 5 }).createEntry(s.proposal);
        const keys = createLogKeyring([LogPublicKey.fromPem(stamped.publicKeyPem)]);
        expect(verifyTlogEntry(e, s.expected, keys)).toMatchObject({
          integratedTime: 1_800_000_000,
          checkpointTime: 1_800_000_000,
        });
        const p = e.verification.inclusionProof!;
        p.checkpoint = p.checkpoint.replace('Timestamp: 1800000000', 'Timestamp: 1900000000');
        await expectCode(() => verifyTlogEntry(e, s.expected, keys), 'TLOG_CHECKPOINT_SIGNATURE_INVALID');
      } finally {
        await stamped.close();
      }
    });
  });

  describe('when neither SET nor inclusion proof is present', () => {
    it('throws TLOG_PROOF_MISSING', () => {
      const e = clone(entryA);
      e.verification = {};
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_PROOF_MISSING');
    });
  });

  describe('when the inclusion proof is for another leaf', () => {
    it('throws TLOG_INCLUSION_PROOF_INVALID', async () => {
      const e = clone(entryA);
      e.verification.inclusionProof = clone(await client.getEntry(entryB.uuid)).verification.inclusionProof!;
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_INCLUSION_PROOF_INVALID');
    });
  });

  describe('when the entry is for another envelope', () => {
    it('throws TLOG_BODY_HASH_MISMATCH', () =>
      expectCode(() => verifyTlogEntry(entryB, a.expected, logs), 'TLOG_BODY_HASH_MISMATCH'));
  });

  describe('when the envelope carries another signature over the same PAE', () => {
    it('throws TLOG_BODY_SIGNATURE_MISMATCH', () =>
      expectCode(
        () => verifyTlogEntry(entryA, { ...a.expected, signatureDer: a.key.signDer(a.pae) }, logs),
        'TLOG_BODY_SIGNATURE_MISMATCH',
      ));
  });

  describe('when the envelope carries another PK token', () => {
    it('throws TLOG_BODY_CERT_MISMATCH', () =>
      expectCode(
        () => verifyTlogEntry(entryA, { ...a.expected, pkTokenJson: b.expected.pkTokenJson }, logs),
        'TLOG_BODY_CERT_MISMATCH',
      ));
  });

  describe('when the envelope was signed by another key', () => {
    it('throws TLOG_BODY_CERT_MISMATCH', () =>
      expectCode(
        () => verifyTlogEntry(entryA, { ...a.expected, spkiDer: b.key.spkiDer }, logs),
        'TLOG_BODY_CERT_MISMATCH',
      ));
  });

  describe('when the SET was made by another key', () => {
    it('throws TLOG_SET_INVALID', () => {
      const e = clone(entryA);
      const payload = `{"body":"${e.body}","integratedTime":${e.integratedTime},"logID":"${e.logID}","logIndex":${e.logIndex}}`;
      e.verification.signedEntryTimestamp = sign('sha256', Buffer.from(payload), {
        key: otherKey(),
        dsaEncoding: 'der',
      }).toString('base64');
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_SET_INVALID');
    });
  });

  describe('when the integrated time was changed', () => {
    it('throws TLOG_SET_INVALID', () => {
      const e = clone(entryA);
      e.integratedTime -= 3600;
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_SET_INVALID');
    });
  });

  describe('when the checkpoint is signed by another key', () => {
    it('throws TLOG_CHECKPOINT_SIGNATURE_INVALID', () => {
      const e = clone(entryA);
      e.verification.inclusionProof!.checkpoint = resignCheckpoint(
        e.verification.inclusionProof!.checkpoint,
        otherKey(),
      );
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_CHECKPOINT_SIGNATURE_INVALID');
    });
  });

  describe('when the checkpoint carries the log key hint but a forged signature', () => {
    it('throws TLOG_CHECKPOINT_SIGNATURE_INVALID', () => {
      const e = clone(entryA);
      const p = e.verification.inclusionProof!;
      const forged = resignCheckpoint(p.checkpoint, otherKey());
      const line = forged.slice(forged.indexOf('\u2014'));
      const bytes = Buffer.from(line.trim().split(' ')[2]!, 'base64');
      Buffer.from(log.logId, 'hex').copy(bytes, 0, 0, 4);
      p.checkpoint = `${forged.slice(0, forged.indexOf('\u2014'))}\u2014 ${log.hostname} ${bytes.toString('base64')}\n`;
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_CHECKPOINT_SIGNATURE_INVALID');
    });
  });

  describe('when the proof claims another root than its checkpoint', () => {
    it('throws TLOG_CHECKPOINT_MISMATCH', () => {
      const e = clone(entryA);
      e.verification.inclusionProof!.rootHash = 'ab'.repeat(32);
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_CHECKPOINT_MISMATCH');
    });
  });

  describe('when the proof claims another tree size than its checkpoint', () => {
    it('throws TLOG_CHECKPOINT_MISMATCH', () => {
      const e = clone(entryA);
      e.verification.inclusionProof!.treeSize = 4;
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_CHECKPOINT_MISMATCH');
    });
  });

  describe('when the body was re-encoded (same content, other bytes) with a matching uuid', () => {
    it('throws TLOG_SET_INVALID, and TLOG_INCLUSION_PROOF_INVALID without the SET', () => {
      const e = clone(entryA);
      const reencoded = Buffer.from(JSON.stringify(JSON.parse(Buffer.from(e.body, 'base64').toString()), null, 1));
      e.body = reencoded.toString('base64');
      e.uuid = createHash('sha256')
        .update(Buffer.from([0]))
        .update(reencoded)
        .digest('hex');
      expect(() => verifyTlogEntry(e, a.expected, logs)).toThrow(expect.objectContaining({ code: 'TLOG_SET_INVALID' }));
      delete e.verification.signedEntryTimestamp;
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_INCLUSION_PROOF_INVALID');
    });
  });

  describe('when the uuid is not the leaf hash of the body', () => {
    it('throws TLOG_UUID_MISMATCH', () => {
      const e = clone(entryA);
      e.uuid = entryB.uuid;
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_UUID_MISMATCH');
    });
  });

  describe('when the proof is truncated', () => {
    it('throws TLOG_INCLUSION_PROOF_INVALID', () => {
      const e = clone(entryA);
      e.verification.inclusionProof!.hashes.pop();
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_INCLUSION_PROOF_INVALID');
    });
  });

  describe('when the proof has an extra hash', () => {
    it('throws TLOG_INCLUSION_PROOF_INVALID', () => {
      const e = clone(entryA);
      e.verification.inclusionProof!.hashes.push('00'.repeat(32));
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_INCLUSION_PROOF_INVALID');
    });
  });

  describe('when the proof has more hashes than any tree needs', () => {
    it('throws TLOG_ENTRY_INVALID', () => {
      const e = clone(entryA);
      e.verification.inclusionProof!.hashes = Array<string>(65).fill('00'.repeat(32));
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_ENTRY_INVALID');
    });
  });

  describe('when the inclusion index is not inside the tree', () => {
    it('throws TLOG_INCLUSION_PROOF_INVALID', () => {
      const e = clone(entryA);
      e.verification.inclusionProof!.logIndex = 3;
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_INCLUSION_PROOF_INVALID');
    });
  });

  describe('when the logID is not a trusted log', () => {
    it('throws TLOG_LOG_UNKNOWN', () => {
      const e = clone(entryA);
      e.logID = 'cd'.repeat(32);
      return expectCode(() => verifyTlogEntry(e, a.expected, logs), 'TLOG_LOG_UNKNOWN');
    });
    it('throws TLOG_LOG_UNKNOWN with an empty keyring', () =>
      expectCode(() => verifyTlogEntry(entryA, a.expected, new Map()), 'TLOG_LOG_UNKNOWN'));
  });

  describe('when the trusted key is another log with the entry relabelled to it', () => {
    it('throws TLOG_SET_INVALID', () => {
      const other = LogPublicKey.fromDer(createPublicKey(otherKey()).export({ format: 'der', type: 'spki' }));
      const e = clone(entryA);
      e.logID = other.logId;
      return expectCode(() => verifyTlogEntry(e, a.expected, createLogKeyring([other])), 'TLOG_SET_INVALID');
    });
  });
});
