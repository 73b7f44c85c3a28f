import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { checkpointTimestamp, parseCheckpoint, verifyCheckpointSignature } from '../../src/tlog/checkpoint.js';
import { LogPublicKey } from '../../src/tlog/keys.js';
import { expectCode } from '../helpers.js';

const ROOT = Buffer.alloc(32, 7);

function keyPair(): { priv: KeyObject; pub: LogPublicKey; hint: Buffer } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    priv: privateKey,
    pub: LogPublicKey.fromDer(spki),
    hint: createHash('sha256').update(spki).digest().subarray(0, 4),
  };
}

/** A Rekor-style signed note, signed by each of `signers`. */
function note(body: string, signers: { name: string; priv: KeyObject; hint: Buffer }[]): string {
  const lines = signers.map(
    (s) =>
      `\u2014 ${s.name} ${Buffer.concat([s.hint, sign('sha256', Buffer.from(body), { key: s.priv, dsaEncoding: 'der' })]).toString('base64')}\n`,
  );
  return `${body}\n${lines.join('')}`;
}

const log = keyPair();
const witness = keyPair();
const BODY = `rekor.sigstore.dev - 1193050959916656506\n42\n${ROOT.toString('base64')}\n`;

describe('parseCheckpoint', () => {
  describe('when given a Rekor checkpoint', () => {
    it('returns origin, size, root and the signature line', () => {
      const cp = parseCheckpoint(note(BODY, [{ name: 'rekor.sigstore.dev', ...log }]));
      expect(cp.origin).toBe('rekor.sigstore.dev - 1193050959916656506');
      expect(cp.size).toBe(42n);
      expect(cp.rootHash).toEqual(ROOT);
      expect(cp.extensions).toEqual([]);
      expect(cp.signatures).toHaveLength(1);
      expect(cp.signatures[0]!.name).toBe('rekor.sigstore.dev');
      expect(cp.signatures[0]!.keyHint).toEqual(log.hint);
      expect(cp.note).toBe(BODY);
    });
  });

  describe('when the note has extension lines (older Rekor "Timestamp:")', () => {
    it('keeps them and they are covered by the signature', () => {
      const body = `${BODY}Timestamp: 1689748607742585419\n`;
      const cp = parseCheckpoint(note(body, [{ name: 'rekor.sigstore.dev', ...log }]));
      expect(cp.extensions).toEqual(['Timestamp: 1689748607742585419']);
      expect(() => verifyCheckpointSignature(cp, log.pub)).not.toThrow();
    });
  });

  describe('when the size is the largest 64-bit number', () => {
    it('parses it exactly as a bigint', () => {
      const cp = parseCheckpoint(
        note(`o\n18446744073709551615\n${ROOT.toString('base64')}\n`, [{ name: 'o', ...log }]),
      );
      expect(cp.size).toBe(18446744073709551615n);
    });
  });
});

describe('verifyCheckpointSignature', () => {
  describe('when a witness co-signed', () => {
    it('verifies the log signature and ignores the witness line', () => {
      const cp = parseCheckpoint(
        note(BODY, [
          { name: 'witness.example', ...witness },
          { name: 'rekor.sigstore.dev', ...log },
        ]),
      );
      expect(() => verifyCheckpointSignature(cp, log.pub)).not.toThrow();
    });
  });

  describe('when only another key signed', () => {
    it('throws TLOG_CHECKPOINT_SIGNATURE_INVALID', () => {
      const cp = parseCheckpoint(note(BODY, [{ name: 'rekor.sigstore.dev', ...witness }]));
      return expectCode(() => verifyCheckpointSignature(cp, log.pub), 'TLOG_CHECKPOINT_SIGNATURE_INVALID');
    });
  });

  describe('when the note was changed after signing', () => {
    it('throws TLOG_CHECKPOINT_SIGNATURE_INVALID', () => {
      const text = note(BODY, [{ name: 'rekor.sigstore.dev', ...log }]).replace('\n42\n', '\n43\n');
      return expectCode(
        () => verifyCheckpointSignature(parseCheckpoint(text), log.pub),
        'TLOG_CHECKPOINT_SIGNATURE_INVALID',
      );
    });
  });

  describe('when a signer name is required', () => {
    const cp = parseCheckpoint(note(BODY, [{ name: 'rekor.sigstore.dev', ...log }]));
    it('accepts the exact name', () =>
      expect(() => verifyCheckpointSignature(cp, log.pub, 'rekor.sigstore.dev')).not.toThrow());
    it('treats the name literally, not as a pattern', () =>
      expectCode(
        () => verifyCheckpointSignature(cp, log.pub, 'rekor.sigstore.de.'),
        'TLOG_CHECKPOINT_SIGNATURE_INVALID',
      ));
    it('does not match a prefix', () =>
      expectCode(() => verifyCheckpointSignature(cp, log.pub, 'rekor'), 'TLOG_CHECKPOINT_SIGNATURE_INVALID'));
    it('handles names with pattern characters literally', () => {
      const odd = parseCheckpoint(note(BODY, [{ name: '(a|b)*.[x]', ...log }]));
      expect(() => verifyCheckpointSignature(odd, log.pub, '(a|b)*.[x]')).not.toThrow();
    });
  });
});

describe('checkpointTimestamp', () => {
  const signed = (extra: string) => parseCheckpoint(note(`${BODY}${extra}`, [{ name: 'rekor.sigstore.dev', ...log }]));
  describe('when the note has a Timestamp line', () => {
    it('returns it in whole seconds', () =>
      expect(checkpointTimestamp(signed('Timestamp: 1689748607742585419\n'))).toBe(1689748607));
  });
  describe('when the note has none', () => {
    it('returns undefined', () => expect(checkpointTimestamp(signed(''))).toBeUndefined());
  });
  describe.each([
    ['a negative value', 'Timestamp: -1\n'],
    ['a leading zero', 'Timestamp: 01689748607742585419\n'],
    ['a fraction', 'Timestamp: 1689748607.5\n'],
    ['no space', 'Timestamp:1689748607742585419\n'],
    ['more than 64 bits', 'Timestamp: 99999999999999999999\n'],
    ['two Timestamp lines', 'Timestamp: 1\nTimestamp: 2\n'],
  ])('when the Timestamp line has %s', (_name, extra) => {
    it('throws TLOG_CHECKPOINT_INVALID', () =>
      expectCode(() => checkpointTimestamp(signed(extra)), 'TLOG_CHECKPOINT_INVALID'));
  });
});
