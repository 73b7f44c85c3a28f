/**
 * The signer's sanity check of a freshly obtained ID token, before the OpenPubkey core turns it
 * into a PK token: compact JWS shape, RS256 (GQ256 needs an RSA signature), the expected issuer,
 * and the commitment in the expected claim. It does not verify the issuer's signature (the core
 * and the verifier do, against the JWKS); it catches a misconfigured provider early, with a message
 * that names the claim. Decoding is strict and shape-first; the token itself never enters a message.
 */
import { b64urlDecode } from '../../core/b64.js';
import { MAX_OIDC_RESPONSE_BYTES } from '../../core/limits.js';
import { OidcError } from '../errors.js';
import type { CommitmentClaim } from './provider.js';
import { quote } from '../../core/quote.js';

/** What a provider expects of the token it received. */
export interface IdTokenExpectation {
  /** Label for messages, e.g. "GitHub Actions OIDC token". */
  what: string;
  commitmentClaim: CommitmentClaim;
  commitment: string;
  /** When set, `iss` must equal it exactly. */
  issuer?: string;
  /** Seconds; defaults to the wall clock. */
  now?: number;
}

/** The decoded, unverified header and payload of a compact JWS. */
export interface IdTokenParts {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** Tolerated clock difference when refusing an already expired token. */
const CLOCK_SKEW_SECONDS = 60;

function invalid(message: string, cause?: unknown): OidcError {
  return new OidcError({ code: 'OIDC_TOKEN_INVALID', message, cause });
}

function jsonSegment(segment: string, label: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(b64urlDecode(segment, `${what} ${label}`).toString('utf8'));
  } catch (err) {
    throw invalid(`${what}: ${label} is not base64url JSON; the value is not a JWT`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${what}: ${label} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Decodes a compact JWS without verifying it.
 * @throws OidcError OIDC_TOKEN_INVALID
 */
export function decodeIdToken(raw: string, what: string): IdTokenParts {
  if (raw.length > MAX_OIDC_RESPONSE_BYTES)
    throw invalid(`${what}: ${raw.length} characters exceeds the ${MAX_OIDC_RESPONSE_BYTES} limit`);
  const segments = raw.split('.');
  if (segments.length !== 3 || segments.some((s) => s.length === 0)) {
    throw invalid(
      `${what}: expected a compact JWS of three non-empty segments, got ${segments.length}; is it an opaque token?`,
    );
  }
  return { header: jsonSegment(segments[0]!, 'header', what), payload: jsonSegment(segments[1]!, 'payload', what) };
}

/**
 * Decodes the token and checks alg, issuer, expiry and the commitment claim.
 * @throws OidcError OIDC_TOKEN_INVALID
 */
export function checkIdToken(raw: string, expect: IdTokenExpectation): IdTokenParts {
  const { what } = expect;
  const parts = decodeIdToken(raw, what);
  const { header, payload } = parts;
  if (header.alg !== 'RS256') {
    throw invalid(
      `${what}: header alg ${JSON.stringify(header.alg)} is not RS256, which OpenPubkey's GQ256 needs; configure the issuer to sign with RS256`,
    );
  }
  if (expect.issuer !== undefined && payload.iss !== expect.issuer) {
    throw invalid(
      `${what}: iss ${JSON.stringify(payload.iss)} is not the expected issuer ${expect.issuer}; set the provider's issuer option to the real issuer`,
    );
  }
  const now = expect.now ?? Math.floor(Date.now() / 1000);
  if (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp + CLOCK_SKEW_SECONDS < now)) {
    throw invalid(`${what}: exp ${JSON.stringify(payload.exp)} is not a future NumericDate; obtain a fresh token`);
  }
  const got = payload[expect.commitmentClaim];
  if (got !== expect.commitment) {
    const shown = typeof got === 'string' ? quote(got, 80) : Array.isArray(got) ? 'a list' : 'missing';
    throw invalid(
      `${what}: claim "${expect.commitmentClaim}" is ${shown}, not the commitment ${expect.commitment}; ` +
        `the token must be requested with the commitment as its ${expect.commitmentClaim === 'aud' ? 'audience' : 'nonce'} (a single string)`,
    );
  }
  return parts;
}
