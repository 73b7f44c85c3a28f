import { createHash } from 'node:crypto';
import { signEnvelopes } from '../../src/attest/sign-envelopes.js';
import { envelopePae, verifyEnvelopeSignature } from '../../src/attest/dsse.js';
import { verifyBinding } from '../../src/attest/binding.js';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { expectCode } from '../helpers.js';
import { digestFor, statementBytes, stubIssuer } from './run-fixture.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();

describe('signEnvelopes', () => {
  describe('when the run has one statement', () => {
    it('asks for one PK token with att = hex sha256(PAE) and signs the raw statement bytes', async () => {
      const key = EphemeralKey.generate();
      const { issue, calls } = stubIssuer(key);
      const raw = statementBytes(digestFor('amd64'));
      const [one, ...rest] = await signEnvelopes({ statements: [raw], key, issuePkToken: issue });
      expect(rest).toEqual([]);
      expect(calls).toEqual([{ att: sha(one!.pae).toString('hex') }]);
      expect(one!.envelope.payload.equals(raw)).toBe(true);
      expect(one!.paeSha256).toEqual(sha(one!.pae));
      expect(one!.attProof).toBeUndefined();
      expect(one!.envelope.signature.keyid).toBe(key.keyid);
      expect(one!.sigDer.equals(one!.envelope.signature.sig)).toBe(true);
    });
  });

  describe('when the run has five statements', () => {
    it('calls the issuer once with atts, and every envelope verifies with its own proof', async () => {
      const key = EphemeralKey.generate();
      const { issue, calls } = stubIssuer(key);
      const statements = ['a', 'b', 'c', 'd', 'e'].map((p) => statementBytes(digestFor(p)));
      const signed = await signEnvelopes({ statements, key, issuePkToken: issue });
      expect(calls).toHaveLength(1);
      expect(Object.keys(calls[0]!)).toEqual(['atts']);
      signed.forEach((s, i) => {
        expect(s.attProof).toMatchObject({ index: i, size: 5 });
        expect(s.envelope.signature.ext.attProof).toEqual(s.attProof);
        expect(envelopePae(s.envelope)).toEqual(s.pae);
        expect(() => verifyEnvelopeSignature(s.envelope, key.publicJwk)).not.toThrow();
        expect(() => verifyBinding(calls[0]!, s.pae, s.attProof)).not.toThrow();
      });
    });

    it('holds the one PK token once: every envelope shares its bytes (a fleet pays no token per statement)', async () => {
      const key = EphemeralKey.generate();
      const statements = ['a', 'b', 'c'].map((p) => statementBytes(digestFor(p)));
      const signed = await signEnvelopes({ statements, key, issuePkToken: stubIssuer(key).issue });
      const tokens = new Set(signed.map((s) => s.envelope.signature.ext.pkt));
      expect(tokens.size).toBe(1);
    });
  });

  describe('when a statement does not parse', () => {
    it('throws STMT_MALFORMED before asking for a PK token', async () => {
      const key = EphemeralKey.generate();
      const { issue, calls } = stubIssuer(key);
      await expectCode(
        () =>
          signEnvelopes({ statements: [statementBytes(digestFor('a')), Buffer.from('{')], key, issuePkToken: issue }),
        'STMT_MALFORMED',
      );
      expect(calls).toHaveLength(0);
    });
  });

  describe('when there are no statements', () => {
    it('throws BIND_RUN_EMPTY', () => {
      const key = EphemeralKey.generate();
      return expectCode(
        () => signEnvelopes({ statements: [], key, issuePkToken: stubIssuer(key).issue }),
        'BIND_RUN_EMPTY',
      );
    });
  });

  describe('when the issuer returns nothing', () => {
    it('throws DSSE_EXTENSION_INVALID', () =>
      expectCode(
        () =>
          signEnvelopes({
            statements: [statementBytes(digestFor('a'))],
            key: EphemeralKey.generate(),
            issuePkToken: async () => Buffer.alloc(0),
          }),
        'DSSE_EXTENSION_INVALID',
      ));
  });

  describe('when the issuer returns more than MAX_PK_TOKEN_BYTES', () => {
    it('throws DSSE_TOO_LARGE', () =>
      expectCode(
        () =>
          signEnvelopes({
            statements: [statementBytes(digestFor('a'))],
            key: EphemeralKey.generate(),
            issuePkToken: async () => Buffer.alloc(64 * 1024 + 1, 0x61),
          }),
        'DSSE_TOO_LARGE',
      ));
  });

  describe('when the issuer fails', () => {
    it('passes its error through unchanged', () => {
      const failing = async (): Promise<Buffer> => {
        throw Object.assign(new Error('no token'), { code: 'OIDC_NOT_CONFIGURED' });
      };
      return expectCode(
        () =>
          signEnvelopes({
            statements: [statementBytes(digestFor('a'))],
            key: EphemeralKey.generate(),
            issuePkToken: failing,
          }),
        'OIDC_NOT_CONFIGURED',
      );
    });
  });
});
