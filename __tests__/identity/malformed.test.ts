/**
 * Hostile PK tokens: each must be refused with the code that names its fault. Tokens are built
 * from a valid one by an attacker who holds the ephemeral key (so the CIC signature can be made
 * valid again) but not the OP's RSA signature.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { b64urlEncode } from '../../src/core/b64.js';
import { MAX_PK_TOKEN_BYTES } from '../../src/core/limits.js';
import { createCic } from '../../src/identity/cic.js';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { PkTokenError } from '../../src/identity/errors.js';
import { createGqToken, gqParams, gqSign } from '../../src/identity/gq256.js';
import { modInverse } from '../../src/identity/modular.js';
import { buildPkToken, parsePkToken, type PkToken } from '../../src/identity/pk-token.js';
import { verifyPkToken, type VerifyPkTokenOptions } from '../../src/identity/verify-pk-token.js';
import { expectCode } from '../helpers.js';
import { createTestOp, GITHUB_ISSUER, issueFrom } from './test-op.js';

const op = createTestOp();
const options: VerifyPkTokenOptions = { allowedIssuers: [GITHUB_ISSUER], findKey: op.findKey };
const key = EphemeralKey.generate();
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64url');
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64url');
const obj = (seg: string): Record<string, unknown> => JSON.parse(unb64(seg).toString('utf8'));

interface Sig {
  protected: string;
  signature: string;
}
const jsonOf = (payload: string, sigs: Sig[]): string =>
  `{"payload":"${payload}","signatures":[${sigs.map((s) => `{"protected":"${s.protected}","signature":"${s.signature}"}`).join(',')}]}`;
/** A CIC signature by `signer` over `cicHeader . payload` (the attacker holds the ephemeral key). */
const cicSig = (cicHeader: object, payload: string, signer = key): Sig => {
  const protectedSeg = b64(JSON.stringify(cicHeader));
  return { protected: protectedSeg, signature: b64(signer.signJose(Buffer.from(`${protectedSeg}.${payload}`))) };
};
const verify = (token: string | Buffer, o: Partial<VerifyPkTokenOptions> = {}) =>
  verifyPkToken(token, { ...options, ...o });

let pkt: PkToken;
let opSig: Sig;
let cicHeader: Record<string, unknown>;
beforeAll(async () => {
  pkt = await issueFrom(op, { key });
  opSig = { protected: pkt.op.protected, signature: pkt.op.signature };
  cicHeader = pkt.cic.header;
});

/** The GQ signature bytes with S_1 replaced. */
const withS1 = (s1: Buffer): string => {
  const sig = unb64(pkt.op.signature);
  return b64(Buffer.concat([sig.subarray(0, 32), s1, sig.subarray(32 + 256)]));
};

describe('verifyPkToken', () => {
  describe('when the valid token is verified (control)', () => {
    it('passes', async () => expect(await verify(pkt.jsonBytes())).toMatchObject({ opAlg: 'GQ256' }));
  });

  describe('when a payload claim is changed and the CIC re-signed', () => {
    it('throws PKT_GQ_INVALID', () => {
      const payload = b64(JSON.stringify({ ...pkt.claims, repository: 'evil/repo' }));
      return expectCode(() => verify(jsonOf(payload, [opSig, cicSig(cicHeader, payload)])), 'PKT_GQ_INVALID');
    });
  });

  describe('when the payload is changed without re-signing the CIC', () => {
    it('throws PKT_CIC_SIGNATURE_INVALID (the CIC is checked first)', () => {
      const payload = b64(JSON.stringify({ ...pkt.claims, repository: 'evil/repo' }));
      return expectCode(
        () => verify(jsonOf(payload, [opSig, { protected: pkt.cic.protected, signature: pkt.cic.signature }])),
        'PKT_CIC_SIGNATURE_INVALID',
      );
    });
  });

  describe('when the GQ header jkt is changed', () => {
    it('throws PKT_GQ_INVALID (v0.25 proofs cover the header)', () => {
      const h = b64(JSON.stringify({ ...obj(pkt.op.protected), jkt: b64(createHash('sha256').update('x').digest()) }));
      return expectCode(() => verify(jsonOf(pkt.payload, [{ ...opSig, protected: h }, pkt.cic])), 'PKT_GQ_INVALID');
    });
  });

  describe('when a valid GQ proof names another key in jkt', () => {
    it('throws PKT_JKT_MISMATCH', async () => {
      const idToken = await op.mint({ aud: createCic(key.publicJwk).commitment });
      const [h0, p, s] = idToken.split('.') as [string, string, string];
      const h1 = b64(
        JSON.stringify({
          alg: 'GQ256',
          jkt: b64(createHash('sha256').update('other key').digest()),
          kid: h0,
          typ: 'JWT',
        }),
      );
      const n = BigInt(`0x${unb64(op.jwk.n as string).toString('hex')}`);
      const q = modInverse(BigInt(`0x${unb64(s).toString('hex')}`), n);
      const forged = `${h1}.${p}.${b64urlEncode(gqSign(gqParams(n, 65537n), q, Buffer.from(`${h1}.${p}`)))}`;
      // The commitment check would fail too, but the OP signature step comes first.
      return expectCode(
        () => verify(buildPkToken(forged, createCic(key.publicJwk), key).jsonBytes()),
        'PKT_JKT_MISMATCH',
      );
    });
  });

  describe('when the OP issued the token for another commitment (wrong aud)', () => {
    it('throws PKT_COMMITMENT_MISMATCH', async () => {
      const gq = createGqToken(await op.mint({ aud: 'sigstore' }), op.jwk);
      return expectCode(
        () => verify(buildPkToken(gq, createCic(key.publicJwk), key).jsonBytes()),
        'PKT_COMMITMENT_MISMATCH',
      );
    });
  });

  describe('when aud is a list holding the commitment', () => {
    it('throws PKT_COMMITMENT_MISMATCH (an exact string is required)', async () => {
      const cic = createCic(key.publicJwk);
      const gq = createGqToken(await op.mint({ aud: [cic.commitment] }), op.jwk);
      return expectCode(() => verify(buildPkToken(gq, cic, key).jsonBytes()), 'PKT_COMMITMENT_MISMATCH');
    });
  });

  describe("when someone else's ID token is replayed under a new CIC", () => {
    it('throws PKT_COMMITMENT_MISMATCH', () => {
      const thief = EphemeralKey.generate();
      const header = { ...createCic(thief.publicJwk).header };
      return expectCode(
        () => verify(jsonOf(pkt.payload, [opSig, cicSig(header, pkt.payload, thief)])),
        'PKT_COMMITMENT_MISMATCH',
      );
    });
  });

  describe('when the CIC is signed by another key than its upk', () => {
    it('throws PKT_CIC_SIGNATURE_INVALID', () =>
      expectCode(
        () => verify(jsonOf(pkt.payload, [opSig, cicSig(cicHeader, pkt.payload, EphemeralKey.generate())])),
        'PKT_CIC_SIGNATURE_INVALID',
      ));
  });

  describe('when the CIC alg differs from upk.alg', () => {
    it('throws PKT_ALG_INVALID', () =>
      expectCode(
        () => verify(jsonOf(pkt.payload, [opSig, cicSig({ ...cicHeader, alg: 'EdDSA' }, pkt.payload)])),
        'PKT_ALG_INVALID',
      ));
  });

  describe('when the CIC lacks rz', () => {
    it('throws PKT_CIC_INVALID', () => {
      const { rz: _rz, ...noRz } = cicHeader;
      return expectCode(() => verify(jsonOf(pkt.payload, [opSig, cicSig(noRz, pkt.payload)])), 'PKT_CIC_INVALID');
    });
  });

  describe('when the GQ signature is one byte short', () => {
    it('throws PKT_GQ_INVALID', () =>
      expectCode(
        () => verify(jsonOf(pkt.payload, [{ ...opSig, signature: b64(unb64(pkt.op.signature).subarray(1)) }, pkt.cic])),
        'PKT_GQ_INVALID',
      ));
  });

  describe('when the GQ signature is one byte long', () => {
    it('throws PKT_GQ_INVALID', () =>
      expectCode(
        () =>
          verify(
            jsonOf(pkt.payload, [
              { ...opSig, signature: b64(Buffer.concat([unb64(pkt.op.signature), Buffer.alloc(1)])) },
              pkt.cic,
            ]),
          ),
        'PKT_GQ_INVALID',
      ));
  });

  describe('when S_1 is 0', () => {
    it('throws PKT_GQ_INVALID', () =>
      expectCode(
        () => verify(jsonOf(pkt.payload, [{ ...opSig, signature: withS1(Buffer.alloc(256)) }, pkt.cic])),
        'PKT_GQ_INVALID',
      ));
  });

  describe('when S_1 is n', () => {
    it('throws PKT_GQ_INVALID', () =>
      expectCode(
        () => verify(jsonOf(pkt.payload, [{ ...opSig, signature: withS1(unb64(op.jwk.n as string)) }, pkt.cic])),
        'PKT_GQ_INVALID',
      ));
  });

  describe('when the OP header says alg none', () => {
    it('throws PKT_ALG_INVALID', () =>
      expectCode(
        () => verify(jsonOf(pkt.payload, [{ ...opSig, protected: b64('{"alg":"none","typ":"JWT"}') }, pkt.cic])),
        'PKT_ALG_INVALID',
      ));
  });

  describe('when the OP header says RS256 over a GQ proof (algorithm confusion)', () => {
    it('throws PKT_GQ_REQUIRED by default', () =>
      expectCode(
        () =>
          verify(
            jsonOf(pkt.payload, [
              { ...opSig, protected: b64(`{"alg":"RS256","kid":"${op.kid}","typ":"JWT"}`) },
              pkt.cic,
            ]),
          ),
        'PKT_GQ_REQUIRED',
      ));
    it('throws PKT_OP_SIGNATURE_INVALID when RS256 is allowed', () =>
      expectCode(
        () =>
          verify(
            jsonOf(pkt.payload, [
              { ...opSig, protected: b64(`{"alg":"RS256","kid":"${op.kid}","typ":"JWT"}`) },
              pkt.cic,
            ]),
            { requireGq: false },
          ),
        'PKT_OP_SIGNATURE_INVALID',
      ));
  });

  describe('when the OP signature is RS256 and GQ is required', () => {
    it('throws PKT_GQ_REQUIRED', async () =>
      expectCode(async () => verify((await issueFrom(op, { gq: false })).jsonBytes()), 'PKT_GQ_REQUIRED'));
  });

  describe('when the kid is unknown to the key finder', () => {
    it('throws PKT_KID_UNKNOWN', () =>
      expectCode(() => verify(pkt.jsonBytes(), { findKey: createTestOp().findKey }), 'PKT_KID_UNKNOWN'));
  });

  describe('when the key finder returns another OP key for the kid (wrong key)', () => {
    it('throws PKT_GQ_INVALID', () => {
      const other = createTestOp();
      return expectCode(() => verify(pkt.jsonBytes(), { findKey: async () => other.jwk }), 'PKT_GQ_INVALID');
    });
  });

  describe('when the key finder returns an EC key', () => {
    it('throws PKT_JWKS_INVALID', () =>
      expectCode(() => verify(pkt.jsonBytes(), { findKey: async () => ({ ...key.publicJwk }) }), 'PKT_JWKS_INVALID'));
  });

  describe('when the key finder fails', () => {
    it('throws PKT_JWKS_FETCH_FAILED', () =>
      expectCode(
        () =>
          verify(pkt.jsonBytes(), {
            findKey: async () => {
              throw new Error('down');
            },
          }),
        'PKT_JWKS_FETCH_FAILED',
      ));
  });

  describe('when the issuer is not allowed', () => {
    it('throws PKT_ISSUER_NOT_ALLOWED', () =>
      expectCode(() => verify(pkt.jsonBytes(), { allowedIssuers: ['https://gitlab.com'] }), 'PKT_ISSUER_NOT_ALLOWED'));
  });

  describe('when the token is past its max age', () => {
    it('throws PKT_EXPIRED', () =>
      expectCode(() => verify(pkt.jsonBytes(), { now: () => new Date(Date.now() + 25 * 3600_000) }), 'PKT_EXPIRED'));
  });

  describe('when iat is missing under a max-age policy', () => {
    it('throws PKT_CLAIM_INVALID', async () =>
      expectCode(
        async () => verify((await issueFrom(op, { claims: { iat: undefined } })).jsonBytes()),
        'PKT_CLAIM_INVALID',
      ));
  });

  describe('when the RS256 OP token is key-bound (dpop+id_token)', () => {
    it('throws PKT_COMMITMENT_MISMATCH even if aud holds the commitment', async () => {
      const cic = createCic(key.publicJwk);
      const idToken = await op.mint({ aud: cic.commitment }, { typ: 'dpop+id_token' });
      return expectCode(
        () => verify(buildPkToken(idToken, cic, key).jsonBytes(), { requireGq: false }),
        'PKT_COMMITMENT_MISMATCH',
      );
    });
  });

  describe('when sub is missing', () => {
    it('throws PKT_CLAIM_INVALID', async () =>
      expectCode(
        async () => verify((await issueFrom(op, { claims: { sub: undefined } })).jsonBytes()),
        'PKT_CLAIM_INVALID',
      ));
  });
});

describe('parsePkToken', () => {
  describe('when the CIC signature appears twice', () => {
    it('throws PKT_ROLE_INVALID', () =>
      expectCode(() => parsePkToken(jsonOf(pkt.payload, [opSig, pkt.cic, pkt.cic])), 'PKT_ROLE_INVALID'));
  });

  describe('when there are two OP signatures', () => {
    it('throws PKT_ROLE_INVALID', () =>
      expectCode(() => parsePkToken(jsonOf(pkt.payload, [opSig, pkt.cic, opSig])), 'PKT_ROLE_INVALID'));
  });

  describe('when the CIC signature is missing', () => {
    it('throws PKT_ROLE_INVALID', () =>
      expectCode(() => parsePkToken(`${pkt.payload}:${opSig.protected}:${opSig.signature}`), 'PKT_ROLE_INVALID'));
  });

  describe('when a signature has an unknown typ', () => {
    it('throws PKT_ROLE_INVALID', () =>
      expectCode(
        () =>
          parsePkToken(
            jsonOf(pkt.payload, [
              opSig,
              pkt.cic,
              { protected: b64('{"alg":"ES256","typ":"osm"}'), signature: pkt.cic.signature },
            ]),
          ),
        'PKT_ROLE_INVALID',
      ));
  });

  describe('when a segment is not canonical base64url', () => {
    it.each([
      ['padded', (s: string) => `${s}=`],
      ['with standard-alphabet characters', (s: string) => `+${s.slice(1)}`],
      [
        'with non-zero trailing bits',
        (s: string) => s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) + 1),
      ],
    ])('throws PKT_BASE64_INVALID when %s', (_what, mangle) =>
      expectCode(
        () => parsePkToken(jsonOf(pkt.payload, [opSig, { ...pkt.cic, signature: mangle(pkt.cic.signature) }])),
        'PKT_BASE64_INVALID',
      ),
    );
  });

  describe('when the input is over MAX_PK_TOKEN_BYTES', () => {
    it('throws PKT_TOO_LARGE', () =>
      expectCode(() => parsePkToken(Buffer.alloc(MAX_PK_TOKEN_BYTES + 1, 0x7b)), 'PKT_TOO_LARGE'));
  });

  describe('when the input is truncated', () => {
    it('throws PKT_MALFORMED for JSON', () =>
      expectCode(() => parsePkToken(pkt.jsonBytes().subarray(0, 500)), 'PKT_MALFORMED'));
    it('throws PKT_MALFORMED for a compact form cut at a separator', () => {
      const compact = pkt.compact();
      return expectCode(() => parsePkToken(compact.slice(0, compact.lastIndexOf(':'))), 'PKT_MALFORMED');
    });
  });

  describe('when the input is empty', () => {
    it('throws PKT_MALFORMED', () => expectCode(() => parsePkToken(''), 'PKT_MALFORMED'));
  });

  describe('when the JSON has whitespace or extra members', () => {
    it('throws PKT_MALFORMED for whitespace', () =>
      expectCode(() => parsePkToken(JSON.stringify(pkt, null, 1)), 'PKT_MALFORMED'));
    it('throws PKT_MALFORMED for an unprotected header', () =>
      expectCode(
        () =>
          parsePkToken(
            `{"payload":"${pkt.payload}","signatures":[{"protected":"${opSig.protected}","header":{"jkt":"x"},"signature":"${opSig.signature}"},{"protected":"${pkt.cic.protected}","signature":"${pkt.cic.signature}"}]}`,
          ),
        'PKT_MALFORMED',
      ));
    it('throws PKT_MALFORMED for a duplicate member', () =>
      expectCode(
        () =>
          parsePkToken(
            jsonOf(pkt.payload, [opSig, pkt.cic]).replace('{"payload"', `{"payload":"${pkt.payload}","payload"`),
          ),
        'PKT_MALFORMED',
      ));
  });

  describe('when the payload is not an ID token', () => {
    it('throws PKT_CLAIM_INVALID without iss', () => {
      const payload = b64('{"sub":"x"}');
      return expectCode(() => parsePkToken(jsonOf(payload, [opSig, pkt.cic])), 'PKT_CLAIM_INVALID');
    });
    it('throws PKT_MALFORMED for a JSON array', () =>
      expectCode(() => parsePkToken(jsonOf(b64('[1]'), [opSig, pkt.cic])), 'PKT_MALFORMED'));
    it('throws PKT_MALFORMED for invalid UTF-8', () =>
      expectCode(() => parsePkToken(jsonOf(b64(Buffer.from([0x7b, 0xff, 0x7d])), [opSig, pkt.cic])), 'PKT_MALFORMED'));
  });

  describe('when a protected header has no alg', () => {
    it('throws PKT_ALG_INVALID', () =>
      expectCode(
        () => parsePkToken(jsonOf(pkt.payload, [{ ...opSig, protected: b64('{"typ":"JWT"}') }, pkt.cic])),
        'PKT_ALG_INVALID',
      ));
  });

  describe('when a protected header carries crit', () => {
    it('throws PKT_MALFORMED', () =>
      expectCode(
        () =>
          parsePkToken(jsonOf(pkt.payload, [opSig, cicSig({ ...cicHeader, crit: ['b64'], b64: false }, pkt.payload)])),
        'PKT_MALFORMED',
      ));
  });

  describe('when a header nests too deeply', () => {
    it('throws PKT_MALFORMED', () => {
      const deep = `{"alg":"ES256","typ":"CIC","x":${'['.repeat(40)}${']'.repeat(40)}}`;
      return expectCode(
        () => parsePkToken(jsonOf(pkt.payload, [opSig, { protected: b64(deep), signature: pkt.cic.signature }])),
        'PKT_MALFORMED',
      );
    });
  });
});

describe('parsePkToken then verifyPkToken', () => {
  describe("when any single byte of a valid token's JSON is changed", () => {
    it('rejects the token with a PkTokenError', async () => {
      const bytes = pkt.jsonBytes();
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, delta) => {
          const mutated = Buffer.from(bytes);
          mutated[at] = (mutated[at]! + delta) % 256;
          const outcome = await verifyPkToken(mutated, options).then(
            () => 'accepted',
            (err: unknown) => err,
          );
          expect(outcome).toBeInstanceOf(PkTokenError);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('when the token is cut anywhere or replaced by random bytes', () => {
    it('rejects it with a PkTokenError, never another exception', async () => {
      const json = pkt.jsonBytes();
      const compact = Buffer.from(pkt.compact());
      const inputs = fc.oneof(
        fc.nat({ max: json.length - 1 }).map((n) => json.subarray(0, n)),
        fc.nat({ max: compact.length - 1 }).map((n) => compact.subarray(0, n)),
        fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
        fc.string({ maxLength: 200 }).map((t) => Buffer.from(`{"payload":${t}`)),
      );
      await fc.assert(
        fc.asyncProperty(inputs, async (input) => {
          const outcome = await verifyPkToken(input, options).then(
            () => 'accepted',
            (err: unknown) => err,
          );
          expect(outcome).toBeInstanceOf(PkTokenError);
        }),
        { numRuns: 300 },
      );
    });
  });
});
