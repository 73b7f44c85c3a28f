import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { SignJWT } from 'jose';
import {
  createGqToken,
  decodeGqToken,
  gqParams,
  gqSign,
  gqVerify,
  verifyGqToken,
  type GqParams,
  type GqPrimitives,
} from '../../src/identity/gq256.js';
import { modInverse, modPow } from '../../src/identity/modular.js';
import { expectCode, loadVectors } from '../helpers.js';
import { createTestOp } from './test-op.js';

const V = loadVectors();
const iso = V.gq_iso_14888_2;
const big = (hex: string): bigint => BigInt(`0x${hex}`);
const isoParams: GqParams = { n: big(iso.n), v: big(iso.v), ...iso.params };
const isoPrims: GqPrimitives = {
  // ISO/IEC 14888-2's example uses SHA-1 truncated to t·vBytes and a PSS-style identity format.
  question: (data, length) => createHash('sha1').update(data).digest().subarray(0, length),
  encodeIdentity: () => Buffer.from(iso.G, 'hex'),
  randomBelow: () => big(iso.r),
};
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
const b64 = (s: string): string => Buffer.from(s).toString('base64url');
const json = (seg: string): Record<string, unknown> => JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));

describe('gqParams', () => {
  describe.each([
    [65537n, 16, 2],
    [3n, 256, 1],
    [17n, 64, 1],
    [(1n << 80n) + 13n, 4, 10],
  ])('when e = %s', (e, t, vBytes) => {
    it(`derives t = ${t} and vBytes = ${vBytes}`, () => {
      expect(gqParams((1n << 2047n) + 1n, e)).toEqual({ n: (1n << 2047n) + 1n, v: e, nBytes: 256, vBytes, t });
    });
  });
  it('refuses an even exponent', () => expect(() => gqParams(15n, 4n)).toThrow(RangeError));
});

describe('gqSign', () => {
  describe('with the ISO/IEC 14888-2 GQ1 example', () => {
    it('reproduces the signature', () => {
      expect(
        gqSign(isoParams, big(iso.Q), Buffer.from(iso.message_ascii), isoPrims).toString('hex').toUpperCase(),
      ).toBe(iso.signature);
    });
  });
});

describe('gqVerify', () => {
  const sig = Buffer.from(iso.signature, 'hex');
  const id = Buffer.from(iso.identity, 'hex');
  const msg = Buffer.from(iso.message_ascii);

  describe('with the ISO/IEC 14888-2 GQ1 example', () => {
    it('accepts the signature', () => expect(gqVerify(isoParams, sig, id, msg, isoPrims)).toBe(true));
    it('rejects another message', () => expect(gqVerify(isoParams, sig, id, Buffer.from('abc'), isoPrims)).toBe(false));
  });

  describe('when S is 0', () => {
    it('rejects it', () => {
      const zero = Buffer.concat([sig.subarray(0, 10), Buffer.alloc(128)]);
      expect(gqVerify(isoParams, zero, id, msg, isoPrims)).toBe(false);
    });
  });

  describe('when S is n or more', () => {
    it('rejects it (S + n would otherwise verify like S)', () => {
      const s = big(sig.subarray(10).toString('hex'));
      const wrapped = s + isoParams.n;
      if (wrapped < 1n << 1024n) {
        expect(
          gqVerify(
            isoParams,
            Buffer.concat([sig.subarray(0, 10), Buffer.from(wrapped.toString(16).padStart(256, '0'), 'hex')]),
            id,
            msg,
            isoPrims,
          ),
        ).toBe(false);
      }
      expect(
        gqVerify(isoParams, Buffer.concat([sig.subarray(0, 10), Buffer.from(iso.n, 'hex')]), id, msg, isoPrims),
      ).toBe(false);
    });
  });

  describe('when the proof length is off by one', () => {
    it('rejects it', () => {
      expect(gqVerify(isoParams, sig.subarray(1), id, msg, isoPrims)).toBe(false);
      expect(gqVerify(isoParams, Buffer.concat([sig, Buffer.alloc(1)]), id, msg, isoPrims)).toBe(false);
    });
  });
});

describe('gqSign and gqVerify with the default primitives', () => {
  describe('when the RSA exponent is 3 (t = 256; such a token exceeds MAX_PK_TOKEN_BYTES)', () => {
    it('round-trips a proof of knowledge of an RS256 signature', () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
      const jwk = publicKey.export({ format: 'jwk' });
      const n = big(Buffer.from(jwk.n!, 'base64url').toString('hex'));
      const identity = Buffer.from('header.payload');
      const x = big(sign('sha256', identity, privateKey).toString('hex'));
      const params = gqParams(n, 3n);
      const proof = gqSign(params, modInverse(x, n), Buffer.from('message'));
      expect(proof).toHaveLength(256 * (1 + 256));
      expect(gqVerify(params, proof, identity, Buffer.from('message'))).toBe(true);
      expect(gqVerify(params, proof, Buffer.from('header.payloaD'), Buffer.from('message'))).toBe(false);
    });
  });
});

describe('gqSign and gqVerify when OpenSSL refuses the parameters', () => {
  it('fall back to bigint for x^v (an 81-bit v with a 4096-bit n)', () => {
    const n = big(randomBytes(512).toString('hex')) | (1n << 4095n) | 1n;
    const v = big(iso.v);
    let x = big(randomBytes(100).toString('hex'));
    while (gcd(x, n) !== 1n) x += 1n; // n is random, not an RSA modulus: make x invertible
    const G = modPow(x, v, n);
    const params: GqParams = { n, v, nBytes: 512, vBytes: 10, t: 2 };
    const prims: GqPrimitives = { encodeIdentity: () => Buffer.from(G.toString(16).padStart(1024, '0'), 'hex') };
    const proof = gqSign(params, modInverse(x, n), Buffer.from('m'), prims);
    expect(gqVerify(params, proof, Buffer.from('id'), Buffer.from('m'), prims)).toBe(true);
    expect(gqVerify(params, proof, Buffer.from('id'), Buffer.from('M'), prims)).toBe(false);
  });
});

describe('createGqToken', () => {
  const op = createTestOp();

  describe('when given a valid RS256 ID token and its key', () => {
    let idToken: string;
    let gq: string;
    beforeAll(async () => {
      idToken = await op.mint({ aud: 'commitment' });
      gq = createGqToken(idToken, op.jwk);
    });

    it('emits {alg, jkt, kid: original header, typ} in alphabetical order, like jwx', () => {
      const [h0] = idToken.split('.');
      const jkt = createHash('sha256').update(`{"e":"${op.jwk.e}","kty":"RSA","n":"${op.jwk.n}"}`).digest('base64url');
      expect(Buffer.from(gq.split('.')[0]!, 'base64url').toString()).toBe(
        `{"alg":"GQ256","jkt":"${jkt}","kid":"${h0}","typ":"JWT"}`,
      );
    });
    it('keeps the payload segment and drops the RS256 signature', () => {
      const [, p, s] = idToken.split('.');
      expect(gq.split('.')[1]).toBe(p);
      expect(gq).not.toContain(s);
    });
    it('makes a 4128-byte R‖S (5504 base64url characters) for RSA-2048', () => {
      expect(gq.split('.')[2]).toHaveLength(5504);
    });
    it('verifies under the v0.25 rule', () => expect(() => verifyGqToken(gq, op.jwk)).not.toThrow());
    it('decodes the original header from kid', () => {
      expect(decodeGqToken(gq).originalHeader).toEqual(json(idToken.split('.')[0]!));
    });
    it('is randomised (two proofs differ, both verify)', () => {
      const again = createGqToken(idToken, op.jwk);
      expect(again).not.toBe(gq);
      expect(() => verifyGqToken(again, op.jwk)).not.toThrow();
    });
  });

  describe('when the OP key has e = 17', () => {
    it('signs and verifies with t = 64', async () => {
      const small = createTestOp({ publicExponent: 17 });
      const gq = createGqToken(await small.mint(), small.jwk);
      expect(() => verifyGqToken(gq, small.jwk)).not.toThrow();
    });
  });

  describe('when the token is not RS256', () => {
    it('throws PKT_ALG_INVALID for PS256', async () => {
      const ps = await new SignJWT({ iss: op.issuer })
        .setProtectedHeader({ alg: 'PS256', kid: op.kid })
        .sign(op.privateKey);
      await expectCode(() => createGqToken(ps, op.jwk), 'PKT_ALG_INVALID');
    });
  });

  describe('when the key is not the one that signed', () => {
    it('throws PKT_OP_SIGNATURE_INVALID', async () => {
      await expectCode(async () => createGqToken(await op.mint(), createTestOp().jwk), 'PKT_OP_SIGNATURE_INVALID');
    });
  });

  describe('when the key is labelled for another algorithm', () => {
    it('throws PKT_JWKS_INVALID', async () => {
      await expectCode(async () => createGqToken(await op.mint(), { ...op.jwk, alg: 'PS256' }), 'PKT_JWKS_INVALID');
    });
  });

  describe('when the key is an EC key', () => {
    it('throws PKT_JWKS_INVALID', async () => {
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
      await expectCode(async () => createGqToken(await op.mint(), ec), 'PKT_JWKS_INVALID');
    });
  });

  describe('when an extra claim takes a reserved name', () => {
    it('throws PKT_MALFORMED', async () => {
      await expectCode(
        async () => createGqToken(await op.mint(), op.jwk, { extraClaims: { kid: 'x' } }),
        'PKT_MALFORMED',
      );
    });
  });

  describe('when given an extra claim (GitLab-style cic)', () => {
    it('covers it with the proof', async () => {
      const gq = createGqToken(await op.mint(), op.jwk, { extraClaims: { cic: 'abc' } });
      expect(json(gq.split('.')[0]!)).toMatchObject({ cic: 'abc' });
      expect(() => verifyGqToken(gq, op.jwk)).not.toThrow();
    });
  });
});

describe('decodeGqToken', () => {
  const cases: { name: string; kid: string; expected_original_header: string }[] = V.gq_kid_decode;
  describe.each(cases.map((c) => [c.name, c] as const))('with the %s GQ kid of docs/pktoken.md', (_name, c) => {
    it('decodes the original OP header byte for byte', () => {
      const gq = decodeGqToken(
        `${b64(JSON.stringify({ alg: 'GQ256', kid: c.kid, typ: 'JWT' }))}.${b64('{"iss":"x"}')}.AA`,
      );
      expect(gq.originalHeaderSegment).toBe(c.kid);
      expect(Buffer.from(gq.originalHeaderSegment, 'base64url').toString('utf8')).toBe(c.expected_original_header);
      expect(gq.originalHeader).toEqual(JSON.parse(c.expected_original_header));
    });
  });
});

describe('verifyGqToken', () => {
  const g = V.google_gq_legacy;
  const [payload, opH, opS] = g.compact.split(':');
  const legacyToken = `${opH}.${payload}.${opS}`;

  describe('with the Go-made Google token (openpubkey before v0.25.0)', () => {
    it('accepts it under the legacy rule M = identity', () =>
      expect(() => verifyGqToken(legacyToken, g.jwk, { legacy: true })).not.toThrow());
    it('rejects it under the v0.25 rule M = H1.P', () =>
      expectCode(() => verifyGqToken(legacyToken, g.jwk), 'PKT_GQ_INVALID'));
  });

  describe('when the GQ header is altered (jkt)', () => {
    const op = createTestOp();
    let gq: string;
    let altered: string;
    beforeAll(async () => {
      gq = createGqToken(await op.mint(), op.jwk);
      const [h, p, s] = gq.split('.');
      altered = `${b64(JSON.stringify({ ...json(h!), jkt: 'A'.repeat(43) }))}.${p}.${s}`;
    });
    it('fails the v0.25 proof with PKT_GQ_INVALID', () =>
      expectCode(() => verifyGqToken(altered, op.jwk), 'PKT_GQ_INVALID'));
    it('is caught by the jkt check under the legacy rule with PKT_JKT_MISMATCH', () =>
      // The legacy proof does not cover the header, so alter the Go-made legacy token's jkt:
      // the proof still holds, and only the jkt-against-key check can notice.
      expectCode(
        () =>
          verifyGqToken(`${b64(JSON.stringify({ ...json(opH!), jkt: 'A'.repeat(43) }))}.${payload}.${opS}`, g.jwk, {
            legacy: true,
          }),
        'PKT_JKT_MISMATCH',
      ));
  });

  describe('when the header alg is not GQ256', () => {
    it('throws PKT_ALG_INVALID', () =>
      expectCode(() => verifyGqToken(`${b64('{"alg":"RS256"}')}.${payload}.${opS}`, g.jwk), 'PKT_ALG_INVALID'));
  });

  describe('when kid is not an encoded RS256 header', () => {
    it('throws PKT_GQ_INVALID', () =>
      expectCode(
        () =>
          verifyGqToken(
            `${b64(JSON.stringify({ alg: 'GQ256', kid: b64('{"alg":"PS256"}') }))}.${payload}.${opS}`,
            g.jwk,
          ),
        'PKT_GQ_INVALID',
      ));
  });
});
