import { verifyAttestationEnvelope } from '../../src/attest/verify-envelope.js';
import { serializeEnvelope, withTransparencyLogEntry } from '../../src/attest/dsse.js';
import { digestFor, signRun, stubVerify } from './run-fixture.js';

describe('verifyAttestationEnvelope', () => {
  describe('when given the envelope of a one-statement run', () => {
    it('returns the statement, PAE, signature and PK token', async () => {
      const d = digestFor('amd64');
      const { signed, bytes } = await signRun([d]);
      const v = await verifyAttestationEnvelope(bytes[0]!, { verifyPkToken: stubVerify, expectedSubjectDigest: d });
      expect(v.statement.raw.equals(signed[0]!.statement.raw)).toBe(true);
      expect(v.pae.equals(signed[0]!.pae)).toBe(true);
      expect(v.paeSha256.equals(signed[0]!.paeSha256)).toBe(true);
      expect(v.sigDer.equals(signed[0]!.sigDer)).toBe(true);
      expect(v.pktJson.equals(signed[0]!.envelope.signature.ext.pkt)).toBe(true);
      expect(v.pkToken.cicClaims['att']).toBe(signed[0]!.paeSha256.toString('hex'));
      expect(v.attProof).toBeUndefined();
      expect(v.tl).toBeUndefined();
    });
  });

  describe('when given every envelope of a run of four platforms', () => {
    it('verifies each against its own platform digest and returns its proof and log entry', async () => {
      const digests = ['amd64', 'arm64', 'arm', 's390x'].map(digestFor);
      const { signed } = await signRun(digests);
      for (const [i, s] of signed.entries()) {
        const bytes = serializeEnvelope(withTransparencyLogEntry(s.envelope, { uuid: `u${i}` }));
        const v = await verifyAttestationEnvelope(bytes, {
          verifyPkToken: stubVerify,
          expectedSubjectDigest: digests[i]!,
        });
        expect(v.attProof).toEqual(s.attProof);
        expect(v.tl).toEqual({ uuid: `u${i}` });
      }
    });
  });

  describe('when the PK token verifier rejects the token', () => {
    it('passes its error through', async () => {
      const { bytes } = await signRun([digestFor('amd64')]);
      const reject = async (): Promise<never> => {
        throw Object.assign(new Error('bad'), { code: 'PKT_GQ_INVALID' });
      };
      await expect(verifyAttestationEnvelope(bytes[0]!, { verifyPkToken: reject })).rejects.toMatchObject({
        code: 'PKT_GQ_INVALID',
      });
    });
  });
});
