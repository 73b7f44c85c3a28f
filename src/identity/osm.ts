/**
 * OpenPubkey Signed Messages (openpubkey `pktoken/osm.go`): a compact JWS over raw content,
 * signed by the PK token's user key, whose protected header `{"alg", "kid", "typ":"osm"}` binds
 * it to one PK token (`kid` = the token's hash). Verifying an OSM does not verify the PK token:
 * call `verifyPkToken` first.
 */
import { b64urlEncode } from '../core/b64.js';
import { MAX_STATEMENT_BYTES } from '../core/limits.js';
import { parseCicHeader } from './cic.js';
import type { EphemeralKey } from './ephemeral-key.js';
import { PkTokenError } from './errors.js';
import { goCanonicalJson } from './go-json.js';
import { checkProtectedHeader, decodeB64url, decodeJsonSegment, splitCompactJws } from './jws.js';
import { quote } from '../core/quote.js';
import type { PkToken } from './pk-token.js';
import { verifyJwsSignature } from './signatures.js';

/** The default `typ` of an OSM header (lowercase, as openpubkey writes it). */
export const OSM_TYP = 'osm';

/**
 * Signs `content` as an OSM bound to `pkt`, with the ephemeral key its CIC names.
 * @param content - the raw message
 * @param pkt - the PK token whose user key is `key`
 * @param key - the run's ephemeral key
 * @returns the compact JWS `b64url({"alg","kid","typ":"osm"}).b64url(content).sig`
 * @throws PkTokenError OSM_INVALID when `key` is not the token's upk | PKT_CIC_INVALID | PKT_ALG_INVALID
 */
export function signOsm(content: Uint8Array, pkt: PkToken, key: EphemeralKey): string {
  const cic = parseCicHeader(pkt.cic.header);
  if (
    cic.alg !== key.publicJwk.alg ||
    cic.upk.kty !== 'EC' ||
    cic.upk.x !== key.publicJwk.x ||
    cic.upk.y !== key.publicJwk.y
  ) {
    throw new PkTokenError({
      code: 'OSM_INVALID',
      message: "OSM signing key is not the PK token's upk; sign with the key the token was issued for",
    });
  }
  const header = b64urlEncode(goCanonicalJson({ alg: cic.alg, kid: pkt.hash(), typ: OSM_TYP }));
  const payload = b64urlEncode(content);
  return `${header}.${payload}.${b64urlEncode(key.signJose(Buffer.from(`${header}.${payload}`, 'latin1')))}`;
}

/** Options of `verifyOsm`. */
export interface VerifyOsmOptions {
  /** Expected `typ` (openpubkey `WithTyp`). Default `osm`. */
  typ?: string;
}

/**
 * Verifies an OSM against a (separately verified) PK token: `typ` as expected, `alg` equal to
 * the CIC alg, `kid` equal to `pkt.hash()`, signature by the CIC `upk`.
 * @param osm - the compact OSM
 * @param pkt - the PK token it claims to be bound to
 * @param options - expected `typ`
 * @returns the signed content
 * @throws PkTokenError OSM_INVALID (with the parse or check failure as `cause` and in the message)
 */
export function verifyOsm(osm: string, pkt: PkToken, options: VerifyOsmOptions = {}): Buffer {
  const typ = options.typ ?? OSM_TYP;
  try {
    const jws = splitCompactJws(osm, 'OSM', Math.ceil((MAX_STATEMENT_BYTES * 4) / 3) + 64 * 1024);
    const header = decodeJsonSegment(jws.protected, 'OSM header');
    const { alg, typ: found } = checkProtectedHeader(header, 'OSM');
    const cic = parseCicHeader(pkt.cic.header);
    if (found !== typ) throw osmInvalid(`"typ" is ${quote(found)}, expected ${quote(typ)}`);
    if (alg !== cic.alg) throw osmInvalid(`"alg" is ${quote(alg)}, expected the CIC alg ${cic.alg}`);
    if (header.kid !== pkt.hash())
      throw osmInvalid('"kid" is not the hash of this PK token; the message was signed for another token');
    const content = decodeB64url(jws.payload, 'OSM payload');
    if (
      !verifyJwsSignature(
        cic.alg,
        cic.upk,
        `${jws.protected}.${jws.payload}`,
        decodeB64url(jws.signature, 'OSM signature'),
      )
    ) {
      throw osmInvalid("signature does not verify with the PK token's upk");
    }
    return content;
  } catch (err) {
    if (err instanceof PkTokenError && err.code !== 'OSM_INVALID') {
      throw new PkTokenError({ code: 'OSM_INVALID', cause: err, message: `OSM: ${err.message}` });
    }
    throw err;
  }
}

function osmInvalid(fault: string): PkTokenError {
  return new PkTokenError({ code: 'OSM_INVALID', message: `OSM ${fault}` });
}
