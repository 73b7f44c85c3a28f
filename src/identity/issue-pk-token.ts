/**
 * The signing side of OpenPubkey (openpubkey `client/client.go` with a GitHub-style OP): build
 * the CIC, ask the OP for an ID token committing to it, turn the RS256 token into GQ256 at once,
 * and sign the CIC over the token's payload.
 */
import { createCic } from './cic.js';
import type { EphemeralKey } from './ephemeral-key.js';
import { PkTokenError } from './errors.js';
import { createGqToken, opRsaKey } from './gq256.js';
import { checkProtectedHeader, decodeB64url, decodeJsonSegment, splitCompactJws } from './jws.js';
import { quote } from '../core/quote.js';
import type { JwkInput } from './jwk.js';
import type { KeyFinder } from './jwks.js';
import { buildPkToken, type PkToken } from './pk-token.js';
import { verifyJwsSignature } from './signatures.js';

/** Options of `issuePkToken`. */
export interface IssuePkTokenOptions {
  /**
   * Obtains an RS256 ID token whose `commitmentClaim` is the given commitment (an OIDC
   * provider's `requestIdToken`, e.g. from `githubActionsProvider`).
   */
  requestIdToken: (audienceOrNonce: string) => Promise<string>;
  /** Where the OP puts the commitment: `aud` (GitHub Actions) or `nonce`. */
  commitmentClaim: 'aud' | 'nonce';
  /** The run's ephemeral key; its public JWK becomes the CIC `upk`. */
  key: EphemeralKey;
  /** Extra CIC string claims, e.g. `{ att: <hex sha256 of the PAE> }`. */
  extraClaims?: Readonly<Record<string, string>>;
  /** Finds the OP key for the ID token's kid (to check the RS256 signature before GQ signing). */
  findKey: KeyFinder;
  /** Replace the OP's RS256 signature with GQ256 (always true for GitHub Actions). */
  gq: boolean;
}

/**
 * Issues a PK token: CIC → commitment → ID token → commitment check → GQ256 (the RS256 token
 * is dropped inside this function) → CIC signature.
 * @param options - token source, commitment claim, key, extra claims, key finder, GQ switch
 * @returns the PK token
 * @throws PkTokenError PKT_CIC_INVALID | PKT_ALG_INVALID | PKT_MALFORMED | PKT_BASE64_INVALID
 *   | PKT_COMMITMENT_MISMATCH | PKT_CLAIM_INVALID | PKT_KID_UNKNOWN | PKT_JWKS_INVALID
 *   | PKT_JWKS_FETCH_FAILED | PKT_OP_SIGNATURE_INVALID; and whatever `requestIdToken` throws
 *   (OidcError OIDC_*)
 */
export async function issuePkToken(options: IssuePkTokenOptions): Promise<PkToken> {
  const cic = createCic(options.key.publicJwk, options.extraClaims);
  const opToken = await signedOpToken(options, cic.commitment);
  return buildPkToken(opToken, cic, options.key);
}

/**
 * Requests the ID token and returns what the PK token will carry. The RS256 token lives only in
 * this function's locals: with `gq` it is replaced before returning, so nothing that outlives the
 * call (token, logs, errors) holds a replayable bearer token.
 */
async function signedOpToken(o: IssuePkTokenOptions, commitment: string): Promise<string> {
  const idToken = await o.requestIdToken(commitment);
  const jws = splitCompactJws(idToken, 'ID token');
  const header = decodeJsonSegment(jws.protected, 'ID token header');
  const { alg } = checkProtectedHeader(header, 'ID token');
  if (alg !== 'RS256') {
    throw new PkTokenError({
      code: 'PKT_ALG_INVALID',
      message: `ID token is signed with ${quote(alg)}; OpenPubkey needs RS256 from the OP`,
    });
  }
  const claims = decodeJsonSegment(jws.payload, 'ID token payload');
  if (claims[o.commitmentClaim] !== commitment) {
    throw new PkTokenError({
      code: 'PKT_COMMITMENT_MISMATCH',
      message: `ID token "${o.commitmentClaim}" is not the commitment that was requested; the OP ignored it or the token is someone else's`,
    });
  }
  const issuer = claims.iss;
  if (typeof issuer !== 'string' || issuer === '') {
    throw new PkTokenError({ code: 'PKT_CLAIM_INVALID', message: 'ID token has no string "iss"' });
  }
  const kid = header.kid === undefined ? undefined : String(header.kid);
  const key = await lookUp(o.findKey, issuer, kid);
  if (o.gq) return createGqToken(idToken, key);
  // Without GQ the RS256 token itself is carried, so make sure it verifies before we sign over it.
  if (
    !verifyJwsSignature(
      'RS256',
      opRsaKey(key),
      `${jws.protected}.${jws.payload}`,
      decodeB64url(jws.signature, 'ID token signature'),
    )
  ) {
    throw new PkTokenError({
      code: 'PKT_OP_SIGNATURE_INVALID',
      message: `ID token from ${quote(issuer)} does not verify with key ${quote(kid)}`,
    });
  }
  return idToken;
}

async function lookUp(findKey: KeyFinder, issuer: string, kid: string | undefined): Promise<JwkInput> {
  let key: JwkInput | undefined;
  try {
    key = await findKey(issuer, kid);
  } catch (err) {
    if (err instanceof PkTokenError) throw err;
    throw new PkTokenError({
      code: 'PKT_JWKS_FETCH_FAILED',
      cause: err,
      message: `${quote(issuer)}: looking up key ${quote(kid)} failed: ${(err as Error).message}`,
    });
  }
  if (!key) {
    throw new PkTokenError({
      code: 'PKT_KID_UNKNOWN',
      message: `${quote(issuer)}: no key ${quote(kid)} in its JWKS; the OP may have just rotated keys, retry`,
    });
  }
  return key;
}
