/**
 * GQ256: Guillou-Quisquater (GQ1, ISO/IEC 14888-2) proofs of knowledge of an RSA signature,
 * as openpubkey `gq/*.go` and `providers/gq.go` make them. The OP's RS256 signature on an ID
 * token is replaced by a proof that we know it, so the token can be shown without being
 * replayable as a bearer token.
 *
 * Parameters from the OP key (n, v = e): nBytes = ceil(bits(n)/8), vBytes = ceil((bits(v)-1)/8),
 * t = ceil(256 / (bits(v)-1)). Identity = `H0.P` (what the OP signed), G = PKCS#1 v1.5 encoding of
 * SHA-256(identity), message M = `H1.P` (v0.25.0+; before, M = identity), question function
 * SHAKE256(W ‖ M) truncated to t·vBytes, signature R ‖ S_1 … S_t.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { b64urlEncode } from '../core/b64.js';
import { bytesEqual, sha256, shake256 } from '../core/digest.js';
import { PkTokenError } from './errors.js';
import { goCanonicalJson } from './go-json.js';
import { type JsonObject } from '../core/guards.js';
import {
  jwkThumbprint,
  parsePublicJwk,
  rsaPublicNumbers,
  type JwkInput,
  type PublicJwk,
  type RsaPublicJwk,
} from './jwk.js';
import { checkProtectedHeader, type CompactJws, decodeB64url, decodeJsonSegment, splitCompactJws } from './jws.js';
import { quote } from '../core/quote.js';
import { bigIntToBytes, bitLength, bytesToBigInt, FixedBaseComb, modInverse, modPow } from './modular.js';
import { verifyJwsSignature } from './signatures.js';

/** The JWS `alg` of a GQ-signed token. */
export const GQ256 = 'GQ256';
/** Soundness in bits that GQ256 targets. */
export const GQ_SECURITY_BITS = 256;

/** GQ1 public parameters. */
export interface GqParams {
  /** The RSA modulus. */
  readonly n: bigint;
  /** The RSA public exponent (GQ's v). */
  readonly v: bigint;
  /** Length of n in bytes; each W_i and S_i has exactly this length. */
  readonly nBytes: number;
  /** Length of each challenge R_i in bytes. */
  readonly vBytes: number;
  /** Number of rounds. */
  readonly t: number;
}

/**
 * The replaceable parts of GQ1, for known-answer tests (the ISO example uses SHA-1 and a
 * PSS-style identity format). Production code always uses the defaults.
 */
export interface GqPrimitives {
  /** Question function h(W ‖ M) → `length` bytes. Default: SHAKE256. */
  question?: (data: Uint8Array, length: number) => Uint8Array;
  /** Identity → G as nBytes big-endian bytes. Default: EMSA-PKCS1-v1_5 of SHA-256(identity). */
  encodeIdentity?: (identity: Uint8Array, nBytes: number) => Uint8Array;
  /** Uniform random integer in [1, n). Default: rejection sampling from the CSPRNG. */
  randomBelow?: (n: bigint) => bigint;
}

/**
 * Derives the GQ1 parameters of an RSA public key.
 * @param n - modulus
 * @param v - odd public exponent ≥ 3
 * @param securityBits - target soundness (256 for GQ256)
 * @throws RangeError for an even or too small exponent
 */
export function gqParams(n: bigint, v: bigint, securityBits = GQ_SECURITY_BITS): GqParams {
  if (v < 3n || v % 2n === 0n) throw new RangeError('GQ needs an odd RSA exponent of at least 3');
  // Each round gives floor(log2 v) = bits(v) - 1 bits of soundness.
  const bitsPerRound = bitLength(v) - 1;
  return {
    n,
    v,
    nBytes: Math.ceil(bitLength(n) / 8),
    vBytes: Math.ceil(bitsPerRound / 8),
    t: Math.ceil(securityBits / bitsPerRound),
  };
}

// DigestInfo prefix of SHA-256 in EMSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * EMSA-PKCS1-v1_5 of SHA-256(identity) at `nBytes`: `00 01 FF… 00 DigestInfo hash`, the value
 * an RS256 signature s satisfies s^e ≡ G (mod n).
 * @throws RangeError when nBytes is too short for the encoding
 */
export function encodePkcs1v15Sha256(identity: Uint8Array, nBytes: number): Buffer {
  const t = Buffer.concat([SHA256_DIGEST_INFO, sha256(identity)]);
  if (nBytes < t.length + 11) throw new RangeError('modulus too short for PKCS#1 v1.5 with SHA-256');
  const em = Buffer.alloc(nBytes, 0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[nBytes - t.length - 1] = 0x00;
  t.copy(em, nBytes - t.length);
  return em;
}

/** Uniform integer in [1, n) from the CSPRNG by rejection sampling (no modulo bias). */
export function randomBelow(n: bigint): bigint {
  const bits = bitLength(n);
  const bytes = Math.ceil(bits / 8);
  const excess = BigInt(bytes * 8 - bits);
  for (;;) {
    const r = bytesToBigInt(randomBytes(bytes)) >> excess;
    if (r > 0n && r < n) return r;
  }
}

/**
 * x ↦ x^v mod n for 0 < x < n. This is exactly the RSA public-key operation of (n, v), so it is
 * handed to OpenSSL (RSA without padding: Montgomery arithmetic in C), which measured 4-5 times
 * faster than bigint for the 16 squarings per round that dominate GQ256. The fixed-base parts
 * (G^R, Q^R) stay in bigint with a comb table. Falls back to bigint for parameters OpenSSL refuses.
 */
function powerOfV(p: GqParams): (x: bigint) => bigint {
  const openssl = (key: KeyObject, x: bigint): bigint =>
    bytesToBigInt(publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, bigIntToBytes(x, p.nBytes)));
  try {
    const key = createPublicKey({
      key: {
        kty: 'RSA',
        n: b64urlEncode(bigIntToBytes(p.n, p.nBytes)),
        e: b64urlEncode(bigIntToBytes(p.v, Math.ceil(bitLength(p.v) / 8))),
      },
      format: 'jwk',
    });
    // OpenSSL may accept the key yet refuse to use it (an exponent over 64 bits with a modulus
    // over 3072 bits): probe once with 1^v = 1.
    if (openssl(key, 1n) === 1n) return (x) => openssl(key, x);
  } catch {
    // Parameters OpenSSL refuses (never those of an OP key parsePublicJwk accepts): use bigint.
  }
  return (x) => modPow(x, p.v, p.n);
}

function question(p: GqParams, prims: GqPrimitives, w: Buffer[], message: Uint8Array): Buffer {
  const data = Buffer.concat([...w, message]);
  return Buffer.from((prims.question ?? shake256)(data, p.t * p.vBytes));
}

function challenges(p: GqParams, r: Uint8Array): bigint[] {
  return Array.from({ length: p.t }, (_, i) => bytesToBigInt(r.subarray(i * p.vBytes, (i + 1) * p.vBytes)));
}

/**
 * GQ1 signature (ISO/IEC 14888-2 stages 1–4) with private number Q over `message`.
 * @param p - parameters
 * @param Q - the private number (the inverse of the RSA signature mod n)
 * @param message - M
 * @param prims - replaceable primitives (tests only)
 * @returns R ‖ S, t·vBytes + t·nBytes bytes
 */
export function gqSign(p: GqParams, Q: bigint, message: Uint8Array, prims: GqPrimitives = {}): Buffer {
  const draw = prims.randomBelow ?? randomBelow;
  const r = Array.from({ length: p.t }, () => draw(p.n));
  const powV = powerOfV(p);
  const w = r.map((ri) => bigIntToBytes(powV(ri), p.nBytes));
  const R = question(p, prims, w, message);
  const qPow = new FixedBaseComb(Q, p.n, p.vBytes * 8);
  const s = challenges(p, R).map((Ri, i) => bigIntToBytes((r[i]! * qPow.pow(Ri)) % p.n, p.nBytes));
  return Buffer.concat([R, ...s]);
}

/**
 * GQ1 verification: recomputes W*_i = S_i^v · G^{R_i} mod n and accepts iff h(W* ‖ M) = R.
 * Rejects a proof of the wrong length and any S_i that is 0 or ≥ n.
 * @param p - parameters
 * @param proof - R ‖ S as decoded bytes
 * @param identity - the bytes the RSA signature was over
 * @param message - M
 * @param prims - replaceable primitives (tests only)
 * @returns whether the proof is valid
 */
export function gqVerify(
  p: GqParams,
  proof: Uint8Array,
  identity: Uint8Array,
  message: Uint8Array,
  prims: GqPrimitives = {},
): boolean {
  const rLength = p.t * p.vBytes;
  if (proof.length !== rLength + p.t * p.nBytes) return false;
  const R = proof.subarray(0, rLength);
  const s: bigint[] = [];
  for (let i = 0; i < p.t; i++) {
    const start = rLength + i * p.nBytes;
    const si = bytesToBigInt(proof.subarray(start, start + p.nBytes));
    if (si === 0n || si >= p.n) return false;
    s.push(si);
  }
  const G = bytesToBigInt((prims.encodeIdentity ?? encodePkcs1v15Sha256)(identity, p.nBytes));
  const gPow = new FixedBaseComb(G, p.n, p.vBytes * 8);
  const powV = powerOfV(p);
  const w = challenges(p, R).map((Ri, i) => bigIntToBytes((powV(s[i]!) * gPow.pow(Ri)) % p.n, p.nBytes));
  return bytesEqual(question(p, prims, w, message), R);
}

/** Options of `createGqToken`. */
export interface CreateGqTokenOptions {
  /**
   * Extra string members of the GQ protected header (GitLab's GQ-bound commitment uses `cic`);
   * `alg`, `typ`, `kid` and `jkt` are reserved.
   */
  extraClaims?: Readonly<Record<string, string>>;
}

const GQ_RESERVED_CLAIMS = ['alg', 'typ', 'kid', 'jkt'];

/**
 * Turns an RS256 ID token into a GQ256 token (openpubkey `CreateGQToken`): checks the RS256
 * signature with the OP key, then replaces it with a GQ256 proof of knowledge of it. Header
 * `{alg:"GQ256", jkt, kid: <original header segment>, typ:"JWT"}`, payload segment unchanged.
 * @param rs256Jwt - the compact ID token as issued
 * @param opJwk - the OP's RSA public key for the token's kid (its `alg`, if any, must be RS256)
 * @param options - extra GQ header claims
 * @returns the compact GQ256 token `H1.P.b64url(R‖S)`
 * @throws PkTokenError PKT_MALFORMED | PKT_BASE64_INVALID | PKT_TOO_LARGE | PKT_ALG_INVALID
 *   | PKT_JWKS_INVALID | PKT_OP_SIGNATURE_INVALID
 */
export function createGqToken(
  rs256Jwt: string,
  opJwk: JwkInput | PublicJwk,
  options: CreateGqTokenOptions = {},
): string {
  const jws = splitCompactJws(rs256Jwt, 'ID token');
  const { alg } = checkProtectedHeader(decodeJsonSegment(jws.protected, 'ID token header'), 'ID token');
  if (alg !== 'RS256') {
    throw new PkTokenError({
      code: 'PKT_ALG_INVALID',
      message: `ID token is signed with ${quote(alg)}; GQ256 needs an RS256 token (PS256 is randomised)`,
    });
  }
  const key = opRsaKey(opJwk);
  const signature = decodeB64url(jws.signature, 'ID token signature');
  if (!verifyJwsSignature('RS256', key, `${jws.protected}.${jws.payload}`, signature)) {
    throw new PkTokenError({
      code: 'PKT_OP_SIGNATURE_INVALID',
      message: `ID token RS256 signature does not verify with the OP key${key.kid ? ` ${quote(key.kid)}` : ''}; the key or the token is wrong`,
    });
  }
  const header = gqHeader(jws.protected, jwkThumbprint(key), options.extraClaims ?? {});
  const h1 = b64urlEncode(goCanonicalJson(header));
  const { n, e } = rsaPublicNumbers(key);
  const params = gqParams(n, e);
  const Q = blindedInverse(bytesToBigInt(signature), n);
  // The RSA signature makes the ID token a bearer token: wipe the bytes we hold (strings and
  // bigints cannot be wiped; they go out of scope when this returns).
  signature.fill(0);
  const proof = gqSign(params, Q, Buffer.from(`${h1}.${jws.payload}`, 'latin1'));
  return `${h1}.${jws.payload}.${b64urlEncode(proof)}`;
}

function gqHeader(originalHeader: string, jkt: string, extraClaims: Readonly<Record<string, string>>): JsonObject {
  for (const [name, value] of Object.entries(extraClaims)) {
    if (GQ_RESERVED_CLAIMS.includes(name) || typeof value !== 'string') {
      throw new PkTokenError({
        code: 'PKT_MALFORMED',
        message: `GQ header claim "${name}" is reserved or not a string; choose another name`,
      });
    }
  }
  return Object.fromEntries([
    ...Object.entries(extraClaims),
    ['alg', GQ256],
    ['jkt', jkt],
    ['kid', originalHeader],
    ['typ', 'JWT'],
  ]);
}

/**
 * The GQ private number Q = x⁻¹ mod n, computed on a blinded value (as openpubkey does) so the
 * timing of Euclid's algorithm says nothing about the RSA signature x.
 */
function blindedInverse(x: bigint, n: bigint): bigint {
  for (;;) {
    const blind = randomBelow(n);
    try {
      return (modInverse((x * blind) % n, n) * blind) % n;
    } catch {
      // x·blind shares a factor with n: astronomically rare; draw another blind.
    }
  }
}

/**
 * Checks an OP key for GQ: RSA, `alg` absent (Azure publishes none) or RS256.
 * @throws PkTokenError PKT_JWKS_INVALID
 */
export function opRsaKey(opJwk: JwkInput | PublicJwk): RsaPublicJwk {
  const key = parsePublicJwk(
    opJwk,
    `OP key${typeof opJwk.kid === 'string' ? ` ${quote(opJwk.kid)}` : ''}`,
    'PKT_JWKS_INVALID',
  );
  if (key.kty !== 'RSA' || (key.alg !== undefined && key.alg !== 'RS256')) {
    throw new PkTokenError({
      code: 'PKT_JWKS_INVALID',
      message: `OP key${key.kid ? ` ${quote(key.kid)}` : ''} is ${key.kty}/${key.alg ?? 'no alg'}; RS256 and GQ256 need an RSA key with alg RS256 or none`,
    });
  }
  return key;
}

/** The parts of a GQ256 token the verifier needs. */
export interface GqToken {
  readonly jws: CompactJws;
  /** The GQ protected header. */
  readonly header: JsonObject;
  /** The original OP header segment (`kid` of the GQ header), verbatim. */
  readonly originalHeaderSegment: string;
  /** The original OP header, decoded. */
  readonly originalHeader: JsonObject;
}

/**
 * Reads a GQ256 token's headers: `alg` must be GQ256 and `kid` the base64url of the original
 * OP header, itself a JSON object with `alg` RS256.
 * @throws PkTokenError PKT_MALFORMED | PKT_BASE64_INVALID | PKT_TOO_LARGE | PKT_ALG_INVALID | PKT_GQ_INVALID
 */
export function decodeGqToken(gqJwt: string): GqToken {
  const jws = splitCompactJws(gqJwt, 'GQ token');
  const header = decodeJsonSegment(jws.protected, 'GQ token header');
  const { alg } = checkProtectedHeader(header, 'GQ token');
  if (alg !== GQ256) {
    throw new PkTokenError({ code: 'PKT_ALG_INVALID', message: `GQ token "alg" is ${quote(alg)}, expected GQ256` });
  }
  const kid = header.kid;
  if (typeof kid !== 'string' || kid === '') {
    throw new PkTokenError({
      code: 'PKT_GQ_INVALID',
      message: 'GQ token header has no "kid"; it must carry the original OP header',
    });
  }
  const originalHeader = decodeJsonSegment(kid, 'GQ token original header (kid)', 'PKT_GQ_INVALID');
  if (originalHeader.alg !== 'RS256') {
    throw new PkTokenError({
      code: 'PKT_GQ_INVALID',
      message: `GQ token original header "alg" is ${quote(originalHeader.alg)}, expected RS256`,
    });
  }
  return { jws, header, originalHeaderSegment: kid, originalHeader };
}

/** Options of `verifyGqToken`. */
export interface VerifyGqTokenOptions {
  /**
   * Verify with the pre-v0.25.0 rule M = identity, under which the GQ header (and its `jkt`) is
   * not covered by the proof. Only for tokens made by old openpubkey versions; default false.
   */
  legacy?: boolean;
}

/**
 * Verifies a GQ256 token against the OP's RSA key; when the header carries `jkt`, it must be
 * that key's RFC 7638 thumbprint.
 * @param gqJwt - the compact GQ256 token
 * @param opJwk - the OP key found by the original header's kid
 * @param options - `legacy` for tokens made before openpubkey v0.25.0
 * @throws PkTokenError PKT_MALFORMED | PKT_BASE64_INVALID | PKT_TOO_LARGE | PKT_ALG_INVALID
 *   | PKT_JWKS_INVALID | PKT_GQ_INVALID | PKT_JKT_MISMATCH
 */
export function verifyGqToken(gqJwt: string, opJwk: JwkInput | PublicJwk, options: VerifyGqTokenOptions = {}): void {
  verifyDecodedGqToken(decodeGqToken(gqJwt), opJwk, options);
}

/**
 * `verifyGqToken` for a token already read by `decodeGqToken`.
 * @throws PkTokenError PKT_BASE64_INVALID | PKT_JWKS_INVALID | PKT_GQ_INVALID | PKT_JKT_MISMATCH
 */
export function verifyDecodedGqToken(
  gq: GqToken,
  opJwk: JwkInput | PublicJwk,
  options: VerifyGqTokenOptions = {},
): void {
  const key = opRsaKey(opJwk);
  const proof = decodeB64url(gq.jws.signature, 'GQ token signature');
  const identity = Buffer.from(`${gq.originalHeaderSegment}.${gq.jws.payload}`, 'latin1');
  const message = options.legacy ? identity : Buffer.from(`${gq.jws.protected}.${gq.jws.payload}`, 'latin1');
  const { n, e } = rsaPublicNumbers(key);
  if (!gqVerify(gqParams(n, e), proof, identity, message)) {
    throw new PkTokenError({
      code: 'PKT_GQ_INVALID',
      message: `GQ256 signature does not verify with OP key${key.kid ? ` ${quote(key.kid)}` : ''}${options.legacy ? ' (legacy rule)' : ''}; the token was altered or made for another key`,
    });
  }
  const jkt = gq.header.jkt;
  if (jkt !== undefined && jkt !== jwkThumbprint(key)) {
    throw new PkTokenError({
      code: 'PKT_JKT_MISMATCH',
      message: `GQ header "jkt" ${quote(jkt)} is not the thumbprint of OP key${key.kid ? ` ${quote(key.kid)}` : ''}`,
    });
  }
}
