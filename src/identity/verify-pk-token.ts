/**
 * PK token verification in the order of openpubkey's `Verifier.VerifyPKToken`
 * (`verifier/verifier.go`, `providers/providerverifier.go`): CIC signature → issuer → OP
 * signature (GQ256, or RS256 when allowed) → commitment → issued-at → expiry. Each step is a private function
 * that throws its own `PkTokenError` code; a token either verifies or throws.
 */
import { bytesEqual } from '../core/digest.js';
import { cicCommitment, parseCicHeader, type ParsedCic } from './cic.js';
import { PkTokenError } from './errors.js';
import { type JsonObject } from '../core/guards.js';
import { decodeGqToken, GQ256, opRsaKey, verifyDecodedGqToken } from './gq256.js';
import { decodeB64url } from './jws.js';
import { quote } from '../core/quote.js';
import type { JwkInput, PublicJwk } from './jwk.js';
import type { KeyFinder } from './jwks.js';
import { isGithubActionsIssuer } from './oidc/github-issuer.js';
import { parsePkToken, PkToken } from './pk-token.js';
import { verifyJwsSignature } from './signatures.js';

/** When a PK token stops being valid (openpubkey `verifier/expiration.go`). */
export type ExpiryPolicy =
  /** Valid until `iat + seconds` (openpubkey MAX_AGE_*; the ID token's `exp` is ignored). */
  | { kind: 'max-age'; seconds: number }
  /** Valid until the ID token's `exp` (openpubkey OIDC). */
  | { kind: 'exp' }
  /** No time check (openpubkey NEVER_EXPIRE): stored signatures bound by `att`/`atts`. */
  | { kind: 'never' };

/**
 * How far a token's `iat` may lie after the clock it is compared with (the verifier's clock, or
 * the log's integrated time): five minutes, the usual JWT leeway, enough for NTP-synchronised
 * issuers, logs and runners, far too little to pass off a token minted for the future
 * (docs/time.md).
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** openpubkey's default: `MAX_AGE_24HOURS`. */
export const DEFAULT_EXPIRY: ExpiryPolicy = Object.freeze({ kind: 'max-age', seconds: 24 * 60 * 60 });

/** Options of `verifyPkToken`; defaults are resolved in one place (`resolve`). */
export interface VerifyPkTokenOptions {
  /** Issuers accepted, compared exactly with `iss`. */
  allowedIssuers: readonly string[];
  /** Source of OP keys (live JWKS, TUF archive, fixed set). */
  findKey: KeyFinder;
  /** Refuse RS256 OP signatures (only GQ256). Default true: a PK token must not carry a bearer ID token. */
  requireGq?: boolean;
  /** Where the commitment is. Default: `aud` for GitHub Actions issuers (GitHub.com, its enterprise-slug
   *  form, GHE.com, GHES), `nonce` for any other. */
  commitmentClaim?: 'aud' | 'nonce';
  /**
   * The OIDC client the ID token must be issued to (`aud` equal to it, or a list holding it),
   * openpubkey's `ClientID`. Set it for nonce commitments: otherwise a token the user obtained
   * through any other client of the same OP, with a nonce chosen by that client, would verify.
   * Not used with `aud` commitments, where `aud` is the commitment itself.
   */
  clientId?: string;
  /** Default DEFAULT_EXPIRY (iat + 24 h). */
  expiry?: ExpiryPolicy;
  /** The clock. Default: the system clock. */
  now?: () => Date;
  /** Leeway for `iat` after `now` (seconds, default MAX_CLOCK_SKEW_SECONDS). */
  clockSkewSeconds?: number;
  /**
   * Verify GQ256 with the pre-v0.25.0 rule (the GQ header, `jkt` included, is not signed).
   * Only for tokens made by old openpubkey versions. Default false.
   */
  legacyGq?: boolean;
}

/** What a verified PK token establishes. */
export interface VerifiedPkToken {
  /** `iss`, one of the allowed issuers. */
  readonly issuer: string;
  /** `sub`. */
  readonly subject: string;
  /** All payload claims (repository, job_workflow_ref, …), as signed by the OP. */
  readonly claims: Readonly<JsonObject>;
  /** The CIC, including extra claims such as `att` and `atts`. */
  readonly cic: ParsedCic;
  /** The user public key the CIC commits to. */
  readonly upk: PublicJwk;
  /** `PkToken.hash()`, the OSM kid. */
  readonly hash: string;
  /** The OP signature's algorithm. */
  readonly opAlg: 'GQ256' | 'RS256';
  /** The OP key id (for GQ256, the original header's kid). */
  readonly kid: string | undefined;
  /** The token verified. */
  readonly token: PkToken;
}

type Resolved = Required<Omit<VerifyPkTokenOptions, 'commitmentClaim' | 'clientId'>> &
  Pick<VerifyPkTokenOptions, 'commitmentClaim' | 'clientId'>;

function resolve(o: VerifyPkTokenOptions): Resolved {
  const expiry = o.expiry ?? DEFAULT_EXPIRY;
  if (expiry.kind === 'max-age' && !(Number.isSafeInteger(expiry.seconds) && expiry.seconds > 0)) {
    throw new TypeError('verifyPkToken: expiry max-age seconds must be a positive integer');
  }
  if (o.clockSkewSeconds !== undefined && !(Number.isSafeInteger(o.clockSkewSeconds) && o.clockSkewSeconds >= 0)) {
    throw new TypeError('verifyPkToken: clockSkewSeconds must be a non-negative integer');
  }
  return {
    allowedIssuers: o.allowedIssuers,
    findKey: o.findKey,
    requireGq: o.requireGq ?? true,
    commitmentClaim: o.commitmentClaim,
    clientId: o.clientId,
    expiry,
    now: o.now ?? (() => new Date()),
    clockSkewSeconds: o.clockSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS,
    legacyGq: o.legacyGq ?? false,
  };
}

/**
 * Verifies a PK token: CIC signature by `upk`, issuer allowed, OP signature (GQ256 with the key
 * `findKey` returns for the original kid; RS256 only when `requireGq` is false), client id and
 * commitment in `aud` or `nonce`, `iat` not after now (plus skew), expiry policy, string `sub`. COS signatures are parsed but not
 * checked (openpubkey checks them only when cosigners are configured).
 * @param token - a parsed token, or its JSON or compact bytes (parsed strictly first)
 * @param options - allowed issuers, key finder and policy
 * @returns the verified identity and claims
 * @throws PkTokenError parse codes (PKT_TOO_LARGE | PKT_MALFORMED | PKT_BASE64_INVALID | PKT_ROLE_INVALID)
 *   | PKT_CIC_INVALID | PKT_ALG_INVALID | PKT_CIC_SIGNATURE_INVALID | PKT_ISSUER_NOT_ALLOWED
 *   | PKT_GQ_REQUIRED | PKT_KID_UNKNOWN | PKT_JWKS_INVALID | PKT_JWKS_FETCH_FAILED | PKT_GQ_INVALID
 *   | PKT_JKT_MISMATCH | PKT_OP_SIGNATURE_INVALID | PKT_COMMITMENT_MISMATCH | PKT_CLAIM_INVALID | PKT_ISSUED_IN_FUTURE | PKT_EXPIRED;
 *   TypeError for a max-age policy whose seconds are not a positive integer, or a negative skew
 */
export async function verifyPkToken(
  token: PkToken | Uint8Array | string,
  options: VerifyPkTokenOptions,
): Promise<VerifiedPkToken> {
  const o = resolve(options);
  const pkt = token instanceof PkToken ? token : parsePkToken(token);
  const cic = verifyCic(pkt);
  const issuer = checkIssuer(pkt, o);
  const { opAlg, kid } = await verifyOpSignature(pkt, issuer, o);
  checkCommitment(pkt, cic, o.commitmentClaim ?? (isGithubActionsIssuer(issuer) ? 'aud' : 'nonce'), o.clientId);
  const now = o.now();
  checkIssuedAt(pkt, now, o.clockSkewSeconds);
  checkExpiry(pkt, o.expiry, now);
  const subject = pkt.claims.sub;
  if (typeof subject !== 'string' || subject === '') {
    throw new PkTokenError({
      code: 'PKT_CLAIM_INVALID',
      message: `PK token from ${quote(issuer)} has no string "sub"`,
    });
  }
  return Object.freeze({
    issuer,
    subject,
    claims: pkt.claims,
    cic,
    upk: cic.upk,
    hash: pkt.hash(),
    opAlg,
    kid,
    token: pkt,
  });
}

/** Step 1: the CIC header and the user key's signature over `CIC header . payload`. */
function verifyCic(pkt: PkToken): ParsedCic {
  const cic = parseCicHeader(pkt.cic.header);
  const signature = decodeB64url(pkt.cic.signature, 'CIC signature');
  if (!verifyJwsSignature(cic.alg, cic.upk, `${pkt.cic.protected}.${pkt.payload}`, signature)) {
    throw new PkTokenError({
      code: 'PKT_CIC_SIGNATURE_INVALID',
      message: `PK token from ${quote(pkt.issuer)}: the CIC signature does not verify with the upk it carries; the token was altered`,
    });
  }
  return cic;
}

/** Step 2: `iss` is one the caller trusts. */
function checkIssuer(pkt: PkToken, o: Resolved): string {
  const issuer = pkt.issuer;
  if (!o.allowedIssuers.includes(issuer)) {
    throw new PkTokenError({
      code: 'PKT_ISSUER_NOT_ALLOWED',
      message: `PK token issuer ${quote(issuer)} is not among the allowed issuers; add it to the trust policy if it should sign`,
    });
  }
  return issuer;
}

/** Step 3: the OP signature with the key found by kid. */
async function verifyOpSignature(
  pkt: PkToken,
  issuer: string,
  o: Resolved,
): Promise<{ opAlg: 'GQ256' | 'RS256'; kid: string | undefined }> {
  const alg = pkt.op.header.alg;
  if (alg === GQ256) {
    const gq = decodeGqToken(pkt.token('op'));
    const kid = optionalString(gq.originalHeader.kid, 'GQ original header "kid"', 'PKT_GQ_INVALID');
    const jkt = optionalString(gq.header.jkt, 'GQ header "jkt"', 'PKT_GQ_INVALID');
    verifyDecodedGqToken(gq, await findKey(o, issuer, kid, jkt), { legacy: o.legacyGq });
    return { opAlg: 'GQ256', kid };
  }
  if (alg === 'RS256') {
    if (o.requireGq) {
      throw new PkTokenError({
        code: 'PKT_GQ_REQUIRED',
        message: `PK token from ${quote(issuer)} carries the OP's RS256 signature; only GQ256 is accepted (a replayable ID token)`,
      });
    }
    const kid = optionalString(pkt.op.header.kid, 'OP header "kid"', 'PKT_MALFORMED');
    const key = opRsaKey(await findKey(o, issuer, kid, undefined));
    if (
      !verifyJwsSignature(
        'RS256',
        key,
        `${pkt.op.protected}.${pkt.payload}`,
        decodeB64url(pkt.op.signature, 'OP signature'),
      )
    ) {
      throw new PkTokenError({
        code: 'PKT_OP_SIGNATURE_INVALID',
        message: `PK token from ${quote(issuer)}: RS256 signature does not verify with key ${quote(kid)}`,
      });
    }
    return { opAlg: 'RS256', kid };
  }
  throw new PkTokenError({
    code: 'PKT_ALG_INVALID',
    message: `PK token from ${quote(issuer)}: OP signature alg ${quote(alg)} is not accepted; only GQ256 (and RS256 when allowed)`,
  });
}

async function findKey(
  o: Resolved,
  issuer: string,
  kid: string | undefined,
  jkt: string | undefined,
): Promise<JwkInput> {
  let key: JwkInput | undefined;
  try {
    key = await o.findKey(issuer, kid, jkt);
  } catch (err) {
    if (err instanceof PkTokenError) throw err;
    throw new PkTokenError({
      code: 'PKT_JWKS_FETCH_FAILED',
      cause: err,
      message: `PK token from ${quote(issuer)}: looking up key ${quote(kid)} failed: ${(err as Error).message}`,
    });
  }
  if (!key) {
    throw new PkTokenError({
      code: 'PKT_KID_UNKNOWN',
      message: `PK token from ${quote(issuer)}: kid ${quote(kid)} is in neither the live JWKS nor the trust archive; sync the JWKS archive ("opk-attest trust jwks sync") and publish`,
    });
  }
  return key;
}

/** Step 4: the OP signed a commitment to exactly this CIC, for the expected client. */
function checkCommitment(pkt: PkToken, cic: ParsedCic, claim: 'aud' | 'nonce', clientId: string | undefined): void {
  if (pkt.op.header.typ === 'dpop+id_token') {
    // Key-bound tokens (cnf.jwk) carry no commitment; openpubkey refuses them unless configured for them.
    throw new PkTokenError({
      code: 'PKT_COMMITMENT_MISMATCH',
      message: `PK token from ${quote(pkt.issuer)} is a key-bound (dpop+id_token) token; only aud or nonce commitments are supported`,
    });
  }
  if (claim === 'nonce' && clientId !== undefined) {
    const aud = pkt.claims.aud;
    if (!(aud === clientId || (Array.isArray(aud) && aud.includes(clientId)))) {
      throw new PkTokenError({
        code: 'PKT_CLAIM_INVALID',
        message: `PK token from ${quote(pkt.issuer)} was issued to client ${quote(aud)}, not ${quote(clientId)}`,
      });
    }
  }
  const expected = cicCommitment(cic.header);
  const found = pkt.claims[claim];
  // An exact string, as openpubkey compares it: an `aud` list is not a commitment.
  if (typeof found !== 'string' || !bytesEqual(Buffer.from(found, 'utf8'), Buffer.from(expected, 'utf8'))) {
    throw new PkTokenError({
      code: 'PKT_COMMITMENT_MISMATCH',
      message: `PK token from ${quote(pkt.issuer)}: "${claim}" is not the commitment to this CIC; the ID token was issued for another key`,
    });
  }
}

/**
 * Step 5: `iat` is a positive integer not after now plus the skew. This holds for every expiry
 * policy, `never` included: a token dated in the future would outlive any age limit and claim
 * a signing time that has not happened (docs/time.md).
 */
function checkIssuedAt(pkt: PkToken, now: Date, skewSeconds: number): void {
  const iat = issuedAt(pkt);
  const latest = Math.floor(now.getTime() / 1000) + skewSeconds;
  if (iat > latest) {
    throw new PkTokenError({
      code: 'PKT_ISSUED_IN_FUTURE',
      message: `PK token from ${quote(pkt.issuer)}: iat ${new Date(iat * 1000).toISOString()} is after now plus ${skewSeconds} s of clock skew; check this machine's clock, else the token was minted with a false date`,
    });
  }
}

/**
 * The token's `iat` (OIDC Core makes it required in ID tokens).
 * @throws PkTokenError PKT_CLAIM_INVALID
 */
export function issuedAt(pkt: PkToken): number {
  const iat = pkt.claims.iat;
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat <= 0) {
    throw new PkTokenError({
      code: 'PKT_CLAIM_INVALID',
      message: `PK token from ${quote(pkt.issuer)}: "iat" is missing or not a positive integer; OIDC ID tokens must carry it`,
    });
  }
  return iat;
}

/** Step 6: the expiry policy. */
function checkExpiry(pkt: PkToken, policy: ExpiryPolicy, now: Date): void {
  if (policy.kind === 'never') return;
  const nowSeconds = now.getTime() / 1000;
  const claim = policy.kind === 'exp' ? 'exp' : 'iat';
  const value = pkt.claims[claim];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new PkTokenError({
      code: 'PKT_CLAIM_INVALID',
      message: `PK token from ${quote(pkt.issuer)}: "${claim}" is missing or not a positive integer`,
    });
  }
  const deadline = policy.kind === 'exp' ? value : value + policy.seconds;
  if (nowSeconds > deadline) {
    throw new PkTokenError({
      code: 'PKT_EXPIRED',
      message: `PK token from ${quote(pkt.issuer)} expired at ${new Date(deadline * 1000).toISOString()} (${policy.kind === 'exp' ? 'exp' : `iat + ${policy.seconds} s`}); get a fresh token`,
    });
  }
}

function optionalString(value: unknown, what: string, code: 'PKT_GQ_INVALID' | 'PKT_MALFORMED'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new PkTokenError({ code, message: `${what} is not a string` });
  return value;
}
