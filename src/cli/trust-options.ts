/**
 * Trust material and policy from command-line flags, for `verify` until the TUF-distributed
 * policy (DESIGN §4.5) supplies them: accepted issuers, OP keys (live or a JWKS file), log keys
 * (PEM files, or the log's own key when only its URL is given), and a one-rule policy.
 */
import { readFile } from 'node:fs/promises';
import { discoveryKeyFinder, GITHUB_ACTIONS_ISSUER, jwksKeyFinder, type KeyFinder } from '../identity/index.js';
import type { Policy } from '../policy/index.js';
import { parsePolicy } from '../policy/index.js';
import { createLogKeyring, LogPublicKey, RekorClient, type LogKeyring } from '../tlog/index.js';
import type { TrustMaterial } from '../verify/index.js';
import { integer, keyValues, oneOf } from './args.js';
import { readJwksFile } from './pktoken-read.js';

/** The options every command that verifies shares. */
export const TRUST_OPTIONS = {
  issuer: { type: 'string', multiple: true },
  jwks: { type: 'string' },
  'commitment-claim': { type: 'string' },
  'tlog-key': { type: 'string', multiple: true },
  'transparency-log': { type: 'string' },
  policy: { type: 'string' },
  'signer-claim': { type: 'string', multiple: true },
  threshold: { type: 'string' },
  require: { type: 'string', multiple: true },
} as const;

/** Usage lines of TRUST_OPTIONS. */
export const TRUST_USAGE = `trust (until the TUF trust policy is configured):
  --issuer URL               an accepted OIDC issuer; repeatable (default ${GITHUB_ACTIONS_ISSUER})
  --jwks FILE                the issuer's keys as a JWK Set (default: live OIDC discovery)
  --commitment-claim aud|nonce
                             where the issuer puts the commitment (default aud: GitHub-style issuers)
  --transparency-log URL|false
                             the log the signatures were recorded in (default https://rekor.sigstore.dev);
                             false: signatures need no log entry
  --tlog-key FILE            the log's public key (PEM); repeatable. Without it, the key the log
                             serves at URL is used (trust on first use: pin it for real checks)
policy (or --policy FILE with a policy.json):
  --signer-claim NAME=GLOB   a claim every signer must have, e.g. repository=acme/*; repeatable
  --threshold N              distinct signers required (default 1)
  --require TYPE             a predicate type (glob) that must be signed; repeatable
`;

interface TrustValues {
  issuer?: string[];
  jwks?: string;
  'commitment-claim'?: string;
  'tlog-key'?: string[];
  'transparency-log'?: string;
  policy?: string;
  'signer-claim'?: string[];
  threshold?: string;
  require?: string[];
}

/** Builds the trust material and policy from flags. */
export async function trustFromFlags(v: TrustValues): Promise<{ trust: TrustMaterial; policy: Policy; transparencyLog: string | false }> {
  const issuers = v.issuer?.length ? v.issuer : [GITHUB_ACTIONS_ISSUER];
  const claim = oneOf(v['commitment-claim'] ?? 'aud', '--commitment-claim', ['aud', 'nonce'] as const);
  const transparencyLog = v['transparency-log'] === 'false' ? false : (v['transparency-log'] ?? 'https://rekor.sigstore.dev');
  const trust: TrustMaterial = {
    issuers,
    findKey: v.jwks ? await jwksFinder(v.jwks, issuers) : discoveryKeyFinder(),
    logs: await logKeys(v['tlog-key'] ?? [], transparencyLog),
    commitmentClaims: Object.fromEntries(issuers.map((i) => [i, claim])),
  };
  const policy = v.policy ? parsePolicy(await readFile(v.policy), v.policy) : flagPolicy(v, issuers, transparencyLog);
  return { trust, policy, transparencyLog };
}

async function jwksFinder(file: string, issuers: readonly string[]): Promise<KeyFinder> {
  const jwks = await readJwksFile(file);
  return jwksKeyFinder(Object.fromEntries(issuers.map((i) => [i, jwks])));
}

async function logKeys(files: readonly string[], url: string | false): Promise<LogKeyring> {
  if (files.length > 0) return createLogKeyring(await Promise.all(files.map(async (f) => LogPublicKey.fromPem(await readFile(f, 'utf8')))));
  if (url === false) return createLogKeyring([]);
  return createLogKeyring([await new RekorClient({ url }).getPublicKey()]);
}

function flagPolicy(v: TrustValues, issuers: readonly string[], transparencyLog: string | false): Policy {
  const claims = keyValues(v['signer-claim'], '--signer-claim');
  const signers = issuers.map((issuer, i) => ({ name: issuers.length === 1 ? 'signer' : `signer-${i + 1}`, issuer, claims }));
  const threshold = v.threshold === undefined ? 1 : integer(v.threshold, '--threshold', 1);
  return {
    rules: [{ scope: '**', signers, threshold, require: v.require ?? [], transparencyLog: transparencyLog === false ? 'optional' : 'required', level: 'enforce' }],
    revoked: { digests: [], signers: [] },
  };
}
