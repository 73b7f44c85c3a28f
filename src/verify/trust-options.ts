/**
 * Trust material and a one-rule policy from plain options, for the shells (`opk-attest verify`
 * flags, the verify sub-action's inputs) when the policy does not come from a TUF repository.
 */
import { discoveryKeyFinder, type KeyFinder } from '../identity/index.js';
import { parsePolicy, type Policy } from '../policy/index.js';
import { createLogKeyring, LogPublicKey, RekorClient, type LogKeyring } from '../tlog/index.js';
import type { TrustMaterial } from './verifier.js';

/** What a one-rule policy says. */
export interface SimplePolicyOptions {
  issuers: readonly string[];
  /** Claim patterns (exact or glob) every signer must match. */
  claims: Readonly<Record<string, string>>;
  threshold: number;
  require: readonly string[];
  /** False: signatures need no log entry. */
  transparencyLog: string | false;
}

/**
 * The policy "any of these issuers' identities matching the claims; N of them; these predicates",
 * checked by the policy parser like any policy.json.
 * @throws PolicyError POLICY_INVALID naming the bad option
 */
export function simplePolicy(o: SimplePolicyOptions, what = 'verification options'): Policy {
  const signers = o.issuers.map((issuer, n) => ({
    name: o.issuers.length === 1 ? 'signer' : `signer-${n + 1}`,
    issuer,
    claims: o.claims,
  }));
  const rule = {
    scope: '**',
    signers,
    threshold: o.threshold,
    require: o.require,
    transparencyLog: o.transparencyLog === false ? 'optional' : 'required',
    level: 'enforce',
  };
  return parsePolicy(Buffer.from(JSON.stringify({ rules: [rule], revoked: { digests: [], signers: [] } })), what);
}

/** Inputs of `simpleTrust`. */
export interface SimpleTrustOptions {
  issuers: readonly string[];
  commitmentClaim: 'aud' | 'nonce';
  /** OP keys; default the issuers' live JWKS by OIDC discovery. */
  findKey?: KeyFinder;
  /** PEM public keys of the transparency logs. */
  logKeyPems: readonly string[];
  /** The log URL: without pinned keys, the key it serves is used (trust on first use). */
  transparencyLog: string | false;
}

/**
 * Trust material from options.
 * @throws TlogError TLOG_KEY_INVALID (a PEM) | TLOG_REQUEST_FAILED (fetching the log's key)
 */
export async function simpleTrust(o: SimpleTrustOptions): Promise<TrustMaterial> {
  return {
    issuers: o.issuers,
    findKey: o.findKey ?? discoveryKeyFinder(),
    logs: await logKeyring(o.logKeyPems, o.transparencyLog),
    commitmentClaims: Object.fromEntries(o.issuers.map((issuer) => [issuer, o.commitmentClaim])),
  };
}

async function logKeyring(pems: readonly string[], url: string | false): Promise<LogKeyring> {
  if (pems.length > 0) return createLogKeyring(pems.map((pem, n) => LogPublicKey.fromPem(pem, `log key #${n + 1}`)));
  if (url === false) return createLogKeyring([]);
  return createLogKeyring([await new RekorClient({ url }).getPublicKey()]);
}
