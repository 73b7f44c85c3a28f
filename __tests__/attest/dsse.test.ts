import { createPublicKey, verify as nodeVerify, createHash } from 'node:crypto';
import {
  pae,
  envelopePae,
  buildEnvelope,
  serializeEnvelope,
  parseEnvelope,
  verifyEnvelopeSignature,
  envelopeSignatureVerifier,
  withTransparencyLogEntry,
} from '../../src/attest/dsse.js';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { expectCode } from '../helpers.js';
import { digestFor, statementBytes } from './run-fixture.js';

/** An independent PAE, so a bug in the one under test cannot hide here. */
function referencePae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `, 'utf8'), body]);
}

function sampleEnvelope(
  key = EphemeralKey.generate(),
  extra: { attProof?: { index: number; size: number; hashes: string[] } } = {},
) {
  const payload = statementBytes(digestFor('amd64'));
  const sig = key.signDer(referencePae('application/vnd.in-toto+json', payload));
  const pkt = Buffer.from('{"payload":"e30","signatures":[]}');
  return { key, payload, sig, pkt, envelope: buildEnvelope({ payload, keyid: key.keyid, sig, pkt, ...extra }) };
}

describe('pae', () => {
  describe('when given the DSSE specification example', () => {
    it('returns "DSSEv1 29 http://example.com/HelloWorld 11 hello world"', () => {
      expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString('latin1')).toBe(
        'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
      );
    });
  });

  describe('when the type and body hold multi-byte UTF-8', () => {
    it('counts bytes, not characters', () => {
      expect(pae('typé', Buffer.from('€')).toString('utf8')).toBe('DSSEv1 5 typé 3 €');
    });
  });

  describe('when the body is empty', () => {
    it('encodes a zero length', () => {
      expect(pae('t', Buffer.alloc(0)).toString('latin1')).toBe('DSSEv1 1 t 0 ');
    });
  });

  describe('when the body is binary', () => {
    it('keeps every byte', () => {
      const body = Buffer.from([0, 255, 32, 10]);
      expect(pae('x', body)).toEqual(referencePae('x', body));
    });
  });
});

describe('serializeEnvelope', () => {
  describe('when the envelope has an attProof and a log entry', () => {
    it('writes the keys in the order of docs/formats.md', () => {
      const { envelope } = sampleEnvelope(undefined, { attProof: { index: 1, size: 2, hashes: ['aa'.repeat(32)] } });
      const json = serializeEnvelope(withTransparencyLogEntry(envelope, { uuid: 'u', logIndex: 7 })).toString('utf8');
      const order = [
        '"payloadType"',
        '"payload"',
        '"signatures"',
        '"keyid"',
        '"sig"',
        '"extension"',
        '"kind":"OPK"',
        '"ext"',
        '"pkt"',
        '"attProof"',
        '"index"',
        '"size"',
        '"hashes"',
        '"tl"',
      ];
      const positions = order.map((k) => json.indexOf(k));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(json).not.toMatch(/\s/);
    });
  });

  describe('when the envelope has neither attProof nor log entry', () => {
    it('omits both', () => {
      const ext = JSON.parse(serializeEnvelope(sampleEnvelope().envelope).toString()).signatures[0].extension.ext;
      expect(Object.keys(ext)).toEqual(['pkt']);
    });
  });
});

describe('parseEnvelope', () => {
  describe('when given an envelope we serialised', () => {
    it('returns the raw payload, signature, PK token and extension unchanged', () => {
      const { envelope, payload, sig, pkt, key } = sampleEnvelope(undefined, {
        attProof: { index: 0, size: 3, hashes: ['01'.repeat(32), '02'.repeat(32)] },
      });
      const parsed = parseEnvelope(serializeEnvelope(withTransparencyLogEntry(envelope, { uuid: 'abc' })));
      expect(parsed.payload.equals(payload)).toBe(true);
      expect(parsed.signature.sig.equals(sig)).toBe(true);
      expect(parsed.signature.ext.pkt.equals(pkt)).toBe(true);
      expect(parsed.signature.keyid).toBe(key.keyid);
      expect(parsed.signature.ext.attProof).toEqual({ index: 0, size: 3, hashes: ['01'.repeat(32), '02'.repeat(32)] });
      expect(parsed.signature.ext.tl).toEqual({ uuid: 'abc' });
      expect(envelopePae(parsed)).toEqual(referencePae('application/vnd.in-toto+json', payload));
    });
  });
});

describe('verifyEnvelopeSignature', () => {
  describe('when the envelope is signed by the upk', () => {
    it('accepts it after a serialise/parse round trip', () => {
      const { envelope, key } = sampleEnvelope();
      expect(() => verifyEnvelopeSignature(parseEnvelope(serializeEnvelope(envelope)), key.publicJwk)).not.toThrow();
    });
  });

  describe('when the upk is of another curve', () => {
    it('throws DSSE_KEY_INVALID', () => {
      const { envelope, key } = sampleEnvelope();
      return expectCode(
        () => verifyEnvelopeSignature(envelope, { ...key.publicJwk, crv: 'P-384' }),
        'DSSE_KEY_INVALID',
      );
    });
  });

  describe('when the upk coordinates are not on P-256', () => {
    it('throws DSSE_KEY_INVALID', () => {
      const { envelope, key } = sampleEnvelope();
      return expectCode(
        () => verifyEnvelopeSignature(envelope, { ...key.publicJwk, y: key.publicJwk.x }),
        'DSSE_KEY_INVALID',
      );
    });
  });
});

describe('envelopeSignatureVerifier', () => {
  describe('when one checker is given many envelopes of its key', () => {
    it('accepts each of them', () => {
      const key = EphemeralKey.generate();
      const check = envelopeSignatureVerifier(key.publicJwk);
      for (let i = 0; i < 3; i++) expect(() => check(sampleEnvelope(key).envelope)).not.toThrow();
    });
  });

  describe('when an envelope after a good one has a tampered payload', () => {
    it('throws DSSE_SIGNATURE_INVALID', () => {
      const { envelope, key } = sampleEnvelope();
      const check = envelopeSignatureVerifier(key.publicJwk);
      check(envelope);
      const tampered = { ...envelope, payload: Buffer.concat([envelope.payload, Buffer.from(' ')]) };
      return expectCode(() => check(tampered), 'DSSE_SIGNATURE_INVALID');
    });
  });

  describe('when an envelope is signed by another key', () => {
    it('throws DSSE_KEYID_MISMATCH', () => {
      const key = EphemeralKey.generate();
      const check = envelopeSignatureVerifier(key.publicJwk);
      return expectCode(() => check(sampleEnvelope().envelope), 'DSSE_KEYID_MISMATCH');
    });
  });

  describe("when an envelope carries our keyid over another key's signature", () => {
    it('throws DSSE_SIGNATURE_INVALID', () => {
      const key = EphemeralKey.generate();
      const other = sampleEnvelope().envelope;
      const check = envelopeSignatureVerifier(key.publicJwk);
      return expectCode(
        () => check({ ...other, signature: { ...other.signature, keyid: key.keyid } }),
        'DSSE_SIGNATURE_INVALID',
      );
    });
  });

  describe('when the upk is not a P-256 key', () => {
    it('throws DSSE_KEY_INVALID before any envelope is seen', () => {
      const key = EphemeralKey.generate();
      return expectCode(() => envelopeSignatureVerifier({ ...key.publicJwk, y: key.publicJwk.x }), 'DSSE_KEY_INVALID');
    });
  });
});

describe('a plain DSSE verifier', () => {
  describe('when given only the envelope JSON and the ephemeral public key', () => {
    it('verifies sig over the PAE and finds keyid = sha256(SPKI)', () => {
      const { envelope, key } = sampleEnvelope();
      const env = JSON.parse(serializeEnvelope(envelope).toString('utf8'));
      const body = Buffer.from(env.payload, 'base64');
      const spki = createPublicKey({ key: key.spkiDer, format: 'der', type: 'spki' });
      const sigOk = nodeVerify(
        'sha256',
        referencePae(env.payloadType, body),
        { key: spki, dsaEncoding: 'der' },
        Buffer.from(env.signatures[0].sig, 'base64'),
      );
      expect(sigOk).toBe(true);
      expect(env.signatures[0].keyid).toBe(createHash('sha256').update(key.spkiDer).digest('hex'));
    });
  });
});
