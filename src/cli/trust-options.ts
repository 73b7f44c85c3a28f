/**
 * Trust material and policy for `verify`: from a TUF trust repository (docs/formats.md:
 * `--tuf-repository` + `--tuf-root`), or from command-line flags: accepted issuers, OP keys (live
 * or a JWKS file), log keys (PEM files, or the log's own key when only its URL is given), and a
 * one-rule policy.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Deadline } from '../core/deadline.js';
import { GITHUB_ACTIONS_ISSUER, jwksKeyFinder, type KeyFinder } from '../identity/index.js';
import type { Policy } from '../policy/index.js';
import { loadTrust, parsePolicy, trustMaterialFrom } from '../policy/index.js';
import { simplePolicy, simpleTrust, type TrustMaterial } from '../verify/index.js';
import { integer, keyValues, oneOf, UsageError } from './args.js';
import { readJwksFile } from './pktoken-read.js';
import { printable } from './terminal-text.js';

/** The options every command that verifies shares. */
export const TRUST_OPTIONS = {
  issuer: { type: 'string', multiple: true },
  jwks: { type: 'string' },
  'commitment-claim': { type: 'string' },
  'tlog-key': { type: 'string', multiple: true },
  'tlog-key-tofu': { type: 'boolean' },
  'trusted-root': { type: 'string' },
  'transparency-log': { type: 'string' },
  policy: { type: 'string' },
  'signer-claim': { type: 'string', multiple: true },
  threshold: { type: 'string' },
  require: { type: 'string', multiple: true },
  'tuf-repository': { type: 'string' },
  'tuf-root': { type: 'string' },
  'tuf-cache': { type: 'string' },
} as const;

/** Usage lines of TRUST_OPTIONS. */
export const TRUST_USAGE = `trust from a TUF trust repository (opk-attest trust …):
  --tuf-repository URL|DIR   the repository (https URL, or a directory); policy, OIDC key archive
                             and log keys come from it (live OIDC discovery for keys it lacks)
  --tuf-root FILE            the repository's root metadata you trust (e.g. 1.root.json)
  --tuf-cache DIR            cache of verified metadata (default ~/.cache/opk-attest/tuf)
  --commitment-claim aud|nonce
                             where its issuers put the commitment (default: aud for GitHub Actions
                             issuers: GitHub.com, GHE.com, GHES; nonce for others)
trust from flags (without --tuf-repository):
  --issuer URL               an accepted OIDC issuer; repeatable (default ${GITHUB_ACTIONS_ISSUER})
  --jwks FILE                the issuer's keys as a JWK Set (default: live OIDC discovery)
  --commitment-claim aud|nonce
                             where the issuer puts the commitment (default aud: GitHub-style issuers)
  --transparency-log URL|false
                             the log the signatures were recorded in (default https://rekor.sigstore.dev);
                             false: signatures need no log entry
  --tlog-key FILE            the log's public key (PEM); repeatable. Without it: for
                             https://rekor.sigstore.dev the key in Sigstore's public-good trusted
                             root (TUF, cached in ~/.cache/opk-attest/sigstore-tuf); other logs need
                             a key pinned here, --trusted-root, or --tlog-key-tofu
  --trusted-root FILE        a Sigstore trusted_root.json naming the log's key by its URL
  --tlog-key-tofu            use the key the log serves (trust on first use; warns every time)
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
  'tlog-key-tofu'?: boolean;
  'trusted-root'?: string;
  'transparency-log'?: string;
  policy?: string;
  'signer-claim'?: string[];
  threshold?: string;
  require?: string[];
  'tuf-repository'?: string;
  'tuf-root'?: string;
  'tuf-cache'?: string;
}

/** Flags that the TUF repository replaces. */
const FLAG_TRUST = [
  'issuer',
  'jwks',
  'tlog-key',
  'tlog-key-tofu',
  'trusted-root',
  'transparency-log',
  'policy',
  'signer-claim',
  'threshold',
  'require',
] as const;

/** Builds the trust material and policy from flags; `deadline` bounds the key, log and TUF fetches. */
export async function trustFromFlags(
  v: TrustValues,
  deadline?: Deadline,
): Promise<{ trust: TrustMaterial; policy: Policy; transparencyLog: string | false }> {
  if (v['tuf-repository'] !== undefined || v['tuf-root'] !== undefined) return trustFromTuf(v, deadline);
  const issuers = v.issuer?.length ? v.issuer : [GITHUB_ACTIONS_ISSUER];
  const claim = oneOf(v['commitment-claim'] ?? 'aud', '--commitment-claim', ['aud', 'nonce'] as const);
  const transparencyLog =
    v['transparency-log'] === 'false' ? false : (v['transparency-log'] ?? 'https://rekor.sigstore.dev');
  const tlogKeys = v['tlog-key'] ?? [];
  const trust = await simpleTrust({
    issuers,
    commitmentClaim: claim,
    ...(v.jwks ? { findKey: await jwksFinder(v.jwks, issuers), findKeySource: `--jwks ${v.jwks}` } : {}),
    logKeyPems: await Promise.all(tlogKeys.map((f) => readFile(f, 'utf8'))),
    logKeySource: tlogKeys.map((f) => `--tlog-key ${f}`).join(', '),
    ...(v['trusted-root']
      ? { trustedRoot: { bytes: await readFile(v['trusted-root']), source: `--trusted-root ${v['trusted-root']}` } }
      : {}),
    tofu: v['tlog-key-tofu'] === true,
    transparencyLog,
    warn: (line) => process.stderr.write(`opk-attest: warning: ${printable(line)}\n`),
    ...(deadline ? { deadline } : {}),
  });
  const policy = v.policy
    ? parsePolicy(await readFile(v.policy), v.policy)
    : simplePolicy(
        {
          issuers,
          claims: keyValues(v['signer-claim'], '--signer-claim'),
          threshold: v.threshold === undefined ? 1 : integer(v.threshold, '--threshold', 1),
          require: v.require ?? [],
          transparencyLog,
        },
        'verify flags (--issuer, --signer-claim, --threshold, --require)',
      );
  const policySource = v.policy
    ? `--policy ${v.policy}`
    : 'verify flags (--issuer, --signer-claim, --threshold, --require)';
  return {
    trust: { ...trust, sources: [{ input: 'policy', source: policySource }, ...(trust.sources ?? [])] },
    policy,
    transparencyLog,
  };
}

async function jwksFinder(file: string, issuers: readonly string[]): Promise<KeyFinder> {
  const jwks = await readJwksFile(file);
  return jwksKeyFinder(Object.fromEntries(issuers.map((i) => [i, jwks])));
}

/**
 * Trust material and policy from a TUF trust repository. Keys are looked up in the repository's
 * JWKS archive first, then in the issuer's live JWKS; the log keys are the repository's. Refused
 * delegated fragments are reported on stderr (their scopes fail closed).
 * @throws UsageError CLI_USAGE (missing --tuf-root or --tuf-repository, or flags the repository replaces);
 *   TufError TUF_* and PolicyError from loading the repository
 */
async function trustFromTuf(
  v: TrustValues,
  deadline?: Deadline,
): Promise<{ trust: TrustMaterial; policy: Policy; transparencyLog: false }> {
  if (v['tuf-repository'] === undefined || v['tuf-root'] === undefined)
    throw new UsageError('--tuf-repository and --tuf-root go together');
  const clash = FLAG_TRUST.filter((k) => v[k] !== undefined);
  if (clash.length > 0)
    throw new UsageError(
      `${clash.map((k) => `--${k}`).join(', ')} cannot be used with --tuf-repository: the trust repository supplies them`,
    );
  const bundle = await loadTrust({
    repository: v['tuf-repository'],
    trustedRoot: v['tuf-root'],
    cacheDir: v['tuf-cache'] ?? defaultCacheDir(),
    ...(deadline ? { deadline } : {}),
  });
  for (const w of bundle.warnings) process.stderr.write(`opk-attest: warning: ${printable(w)}\n`);
  const claim =
    v['commitment-claim'] === undefined
      ? undefined
      : oneOf(v['commitment-claim'], '--commitment-claim', ['aud', 'nonce'] as const);
  const trust = trustMaterialFrom(bundle, {
    live: true,
    ...(deadline ? { http: { deadline } } : {}),
    repository: `${v['tuf-repository']} (root ${v['tuf-root']})`,
  });
  return {
    trust: claim ? { ...trust, commitmentClaims: Object.fromEntries(trust.issuers.map((i) => [i, claim])) } : trust,
    policy: bundle.policy,
    transparencyLog: false,
  };
}

function defaultCacheDir(): string {
  return path.join(cacheHome(), 'opk-attest', 'tuf');
}

/** The user's cache directory (XDG). */
function cacheHome(): string {
  return process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
}
