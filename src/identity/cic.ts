/**
 * Client instance claims (CIC): the protected header of the PK token's client signature,
 * `{alg, rz, typ: "CIC", upk, …extra}`, and the commitment to it that the OP signs into the ID
 * token (`aud` or `nonce`): `base64url(SHA3-256(Go JSON of the header))` (openpubkey
 * `pktoken/clientinstance/claims.go`).
 */
import { randomBytes } from 'node:crypto';
import { b64urlEncode } from '../core/b64.js';
import { sha3_256 } from '../core/digest.js';
import type { Es256PublicJwk } from './ephemeral-key.js';
import { PkTokenError } from './errors.js';
import { goCanonicalJson } from './go-json.js';
import { type JsonObject, type JsonValue } from '../core/guards.js';
import { isJsonObject } from '../core/guards.js';
import { quote } from '../core/quote.js';
import { parsePublicJwk, type PublicJwk } from './jwk.js';
import { isJwsAlg, keyFitsAlg, type JwsAlg } from './signatures.js';

/** Header names the CIC itself uses; extra claims may not take them. */
export const CIC_RESERVED_CLAIMS: readonly string[] = ['alg', 'upk', 'rz', 'typ'];

/** The `typ` of the CIC signature's protected header. */
export const CIC_TYP = 'CIC';

/** A CIC ready to be committed to and signed. */
export interface Cic {
  /** The protected header as a JSON object. */
  readonly header: JsonObject;
  /** The header's Go JSON: both the bytes we sign (base64url-encoded) and the commitment input. */
  readonly json: string;
  /** base64url(SHA3-256(json)), 43 characters. */
  readonly commitment: string;
}

/** A CIC header read from a PK token and checked. */
export interface ParsedCic {
  /** The whole protected header, as received (the commitment is recomputed from it). */
  readonly header: JsonObject;
  /** The user key's algorithm (`alg` == `upk.alg`). */
  readonly alg: JwsAlg;
  /** The user public key. */
  readonly upk: PublicJwk;
  /** The random nonce that hides the key in the commitment. */
  readonly rz: string;
  /** Every member other than alg, rz, typ and upk (e.g. `att`, `atts`). */
  readonly extra: Readonly<Record<string, JsonValue>>;
}

// Names jwx would write unescaped and json.Marshal would escape must not differ between the
// signed header and the committed JSON, so extra claim names are restricted to plain ASCII.
const SAFE_CLAIM_NAME = /^[\x20-\x7e]+$/;
const UNSAFE_NAME_CHARS = /["\\<>&]/;

/**
 * Builds a CIC for a user public key: fresh 32-byte `rz`, `typ: "CIC"`, `alg` = `upk.alg`, plus
 * the extra string claims.
 * @param upk - the user public key as a JWK carrying `alg` (e.g. `EphemeralKey.publicJwk`)
 * @param extraClaims - extra string claims such as `att`; names must be printable ASCII without `"\<>&`
 * @returns the header, its Go JSON and the commitment
 * @throws PkTokenError PKT_CIC_INVALID (reserved or unsafe name, non-string value) | PKT_ALG_INVALID
 */
export function createCic(
  upk: Es256PublicJwk | Readonly<Record<string, string>>,
  extraClaims: Readonly<Record<string, string>> = {},
): Cic {
  const alg = upk.alg;
  if (!isJwsAlg(alg)) {
    throw new PkTokenError({
      code: 'PKT_ALG_INVALID',
      message: `CIC upk "alg" ${quote(alg)} is not ES256, RS256 or EdDSA`,
    });
  }
  const entries: [string, JsonValue][] = [];
  for (const [name, value] of Object.entries(extraClaims)) {
    if (CIC_RESERVED_CLAIMS.includes(name)) {
      throw new PkTokenError({
        code: 'PKT_CIC_INVALID',
        message: `CIC extra claim "${name}" is reserved by OpenPubkey; choose another name`,
      });
    }
    if (!SAFE_CLAIM_NAME.test(name) || UNSAFE_NAME_CHARS.test(name)) {
      throw new PkTokenError({
        code: 'PKT_CIC_INVALID',
        message: `CIC extra claim name ${quote(name)} must be printable ASCII without " \\ < > &`,
      });
    }
    if (typeof value !== 'string') {
      throw new PkTokenError({
        code: 'PKT_CIC_INVALID',
        message: `CIC extra claim "${name}" must be a string (OpenPubkey extra claims are strings)`,
      });
    }
    entries.push([name, value]);
  }
  // Object.fromEntries defines own properties, so even a claim named "__proto__" stays data.
  const header: JsonObject = Object.fromEntries([
    ...entries,
    ['typ', CIC_TYP],
    ['alg', alg],
    ['upk', { ...upk }],
    ['rz', randomBytes(32).toString('hex')],
  ]);
  const json = goCanonicalJson(header);
  return { header, json, commitment: commitmentOfJson(json) };
}

/**
 * The commitment to a CIC header: base64url(SHA3-256(Go JSON of the header)).
 * @param header - the CIC protected header as a JSON object
 * @returns 43 base64url characters
 */
export function cicCommitment(header: JsonObject): string {
  return commitmentOfJson(goCanonicalJson(header));
}

function commitmentOfJson(json: string): string {
  return b64urlEncode(sha3_256(Buffer.from(json, 'utf8')));
}

/**
 * Checks a CIC protected header as openpubkey's `ParseClaims` does: `rz`, `upk` and `alg`
 * required; `alg` one of ES256, RS256, EdDSA and equal to `upk.alg`; the key type fits `alg`.
 * @param header - the decoded protected header of the CIC signature
 * @returns the checked claims
 * @throws PkTokenError PKT_CIC_INVALID | PKT_ALG_INVALID
 */
export function parseCicHeader(header: JsonObject): ParsedCic {
  const { alg, upk, rz, typ } = header;
  if (typ !== CIC_TYP) throw cicInvalid(`"typ" is ${quote(typ)}, expected "CIC"`);
  if (typeof rz !== 'string' || rz === '') throw cicInvalid('"rz" is missing or not a non-empty string');
  if (upk === undefined) throw cicInvalid('"upk" is missing');
  if (alg === undefined) throw cicInvalid('"alg" is missing');
  if (!isJsonObject(upk)) throw cicInvalid('"upk" is not a JSON object');
  if (!isJwsAlg(alg)) {
    throw new PkTokenError({
      code: 'PKT_ALG_INVALID',
      message: `CIC "alg" ${quote(alg)} is not ES256, RS256 or EdDSA`,
    });
  }
  if (upk.alg !== alg) {
    throw new PkTokenError({
      code: 'PKT_ALG_INVALID',
      message: `CIC "alg" ${alg} differs from upk "alg" ${quote(upk.alg)}; they must be equal`,
    });
  }
  const key = parsePublicJwk(upk, 'CIC upk', 'PKT_CIC_INVALID');
  if (!keyFitsAlg(key, alg)) {
    throw new PkTokenError({
      code: 'PKT_ALG_INVALID',
      message: `CIC "alg" ${alg} does not fit a upk of key type ${key.kty}`,
    });
  }
  const extra: Record<string, JsonValue> = Object.fromEntries(
    Object.entries(header).filter(([name]) => !CIC_RESERVED_CLAIMS.includes(name)),
  );
  return { header, alg, upk: key, rz, extra };
}

function cicInvalid(fault: string): PkTokenError {
  return new PkTokenError({ code: 'PKT_CIC_INVALID', message: `CIC header: ${fault}` });
}
