/**
 * Public JSON Web Keys: shape checks, RFC 7638 thumbprints and import into Node key objects.
 * Covers what OpenPubkey needs: RSA (OP keys, RS256 user keys), EC P-256 (ES256 user keys)
 * and Ed25519 (EdDSA user keys). Private members are refused, never silently dropped.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { b64urlEncode } from '../core/b64.js';
import { sha256 } from '../core/digest.js';
import { PkTokenError, type PkTokenErrorCode } from './errors.js';
import { decodeB64url } from './jws.js';
import { isJsonObject } from '../core/guards.js';
import { quote } from '../core/quote.js';

/** Smallest RSA modulus accepted: OPs use 2048 bits or more, and less is factorable. */
export const MIN_RSA_MODULUS_BITS = 2048;
/** Largest RSA modulus accepted: bounds the cost of GQ256 on hostile keys. */
export const MAX_RSA_MODULUS_BITS = 8192;

/** An RSA public key (`n`, `e` canonical base64url, `n` without leading zero octets). */
export interface RsaPublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  alg?: string;
  kid?: string;
  use?: string;
}

/** A P-256 public key. */
export interface EcPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  alg?: string;
  kid?: string;
  use?: string;
}

/** An Ed25519 public key. */
export interface OkpPublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  alg?: string;
  kid?: string;
  use?: string;
}

/** Any public key OpenPubkey uses. */
export type PublicJwk = RsaPublicJwk | EcPublicJwk | OkpPublicJwk;

/** A JWK as it arrives from a JWKS or an archive, before `parsePublicJwk` checks it. */
export type JwkInput = Readonly<Record<string, unknown>>;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Checks the shape of a public JWK and returns it normalised (only the members used, `n`
 * minimal). Node is asked to import it, so a point off the curve is rejected here too.
 * @param value - untrusted JSON
 * @param what - names the key in messages (e.g. `CIC upk`, `JWKS key "abc"`)
 * @param code - the code to throw (PKT_CIC_INVALID for a user key, PKT_JWKS_INVALID for an OP key)
 * @returns the normalised public key
 * @throws PkTokenError `code`
 */
export function parsePublicJwk(value: unknown, what: string, code: PkTokenErrorCode): PublicJwk {
  const fail = (fault: string, cause?: unknown): never => {
    throw new PkTokenError({ code, cause, message: `${what}: ${fault}` });
  };
  if (!isJsonObject(value)) return fail('is not a JSON object');
  const found = PRIVATE_MEMBERS.find((m) => m in value);
  if (found) fail(`carries the private member "${found}"; publish only the public key`);
  const meta: { alg?: string; kid?: string; use?: string } = {};
  for (const m of ['alg', 'kid', 'use'] as const) {
    const v = value[m];
    if (v === undefined) continue;
    if (typeof v !== 'string') fail(`"${m}" is not a string`);
    meta[m] = v as string;
  }
  let jwk: PublicJwk;
  switch (value.kty) {
    case 'RSA':
      jwk = { kty: 'RSA', ...rsaMembers(value.n, value.e, fail), ...meta };
      break;
    case 'EC':
      if (value.crv !== 'P-256') fail(`curve ${quote(value.crv)} is not supported; only P-256 (ES256)`);
      jwk = {
        kty: 'EC',
        crv: 'P-256',
        x: fixedMember(value.x, 'x', 32, fail),
        y: fixedMember(value.y, 'y', 32, fail),
        ...meta,
      };
      break;
    case 'OKP':
      if (value.crv !== 'Ed25519') fail(`curve ${quote(value.crv)} is not supported; only Ed25519 (EdDSA)`);
      jwk = { kty: 'OKP', crv: 'Ed25519', x: fixedMember(value.x, 'x', 32, fail), ...meta };
      break;
    default:
      return fail(`key type ${quote(value.kty)} is not supported; expected RSA, EC or OKP`);
  }
  try {
    importPublicJwk(jwk);
  } catch (err) {
    fail('Node cannot import it as a public key', err);
  }
  return jwk;
}

function rsaMembers(n: unknown, e: unknown, fail: (fault: string) => never): { n: string; e: string } {
  if (typeof n !== 'string' || typeof e !== 'string') return fail('RSA key lacks string "n" and "e"');
  const nBytes = stripLeadingZeros(decodeB64url(n, 'RSA modulus "n"'));
  const eBytes = stripLeadingZeros(decodeB64url(e, 'RSA exponent "e"'));
  const bits = bitLength(nBytes);
  if (bits < MIN_RSA_MODULUS_BITS || bits > MAX_RSA_MODULUS_BITS) {
    fail(`RSA modulus has ${bits} bits; accepted: ${MIN_RSA_MODULUS_BITS} to ${MAX_RSA_MODULUS_BITS}`);
  }
  // GQ needs an odd exponent of at least 3; Go holds it in an int, we cap it at 32 bits.
  const eValue = eBytes.length === 0 || eBytes.length > 4 ? 0 : eBytes.readUIntBE(0, eBytes.length);
  if (eValue < 3 || eValue % 2 === 0) fail('RSA exponent must be odd, at least 3 and at most 32 bits');
  return { n: b64urlEncode(nBytes), e: b64urlEncode(eBytes) };
}

function fixedMember(v: unknown, name: string, bytes: number, fail: (fault: string) => never): string {
  if (typeof v !== 'string') return fail(`"${name}" is not a string`);
  if (decodeB64url(v, `"${name}"`).length !== bytes) fail(`"${name}" is not ${bytes} bytes`);
  return v;
}

function stripLeadingZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

function bitLength(b: Buffer): number {
  return b.length === 0 ? 0 : (b.length - 1) * 8 + (32 - Math.clz32(b[0]!));
}

/**
 * The RFC 7638 SHA-256 thumbprint, base64url without padding: SHA-256 over the required members
 * in lexicographic order with no whitespace (RSA `{"e","kty","n"}`, EC `{"crv","kty","x","y"}`,
 * OKP `{"crv","kty","x"}`). This is OpenPubkey's `jkt`.
 * @param jwk - a key returned by `parsePublicJwk`
 * @returns 43 base64url characters
 */
export function jwkThumbprint(jwk: PublicJwk): string {
  let members: string;
  switch (jwk.kty) {
    case 'RSA':
      members = `{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`;
      break;
    case 'EC':
      members = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
      break;
    case 'OKP':
      members = `{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`;
      break;
  }
  return b64urlEncode(sha256(members));
}

/**
 * Imports a checked public JWK as a Node `KeyObject`.
 * @throws Error from Node when the key is not a valid public key (parsePublicJwk has ruled that out)
 */
export function importPublicJwk(jwk: PublicJwk): KeyObject {
  const { alg: _alg, kid: _kid, use: _use, ...members } = jwk;
  return createPublicKey({ key: members as JsonWebKey, format: 'jwk' });
}

/** The RSA public numbers as big integers, with the modulus length in bytes. */
export function rsaPublicNumbers(jwk: RsaPublicJwk): { n: bigint; e: bigint; nBytes: number } {
  const n = decodeB64url(jwk.n, 'RSA modulus');
  return {
    n: BigInt(`0x${n.toString('hex')}`),
    e: BigInt(`0x${decodeB64url(jwk.e, 'RSA exponent').toString('hex')}`),
    nBytes: n.length,
  };
}
