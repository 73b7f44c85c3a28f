/**
 * Turns a TUF trust repository into what the verifier needs: the merged policy (top-level rules
 * and delegated fragments, see `tuf/delegations.ts`), the JWKS archives of the issuers the policy
 * names, and the transparency-log keys; then `trustMaterialFrom` builds the verifier's trust
 * material, whose key lookup consults the archive first and, optionally, the provider's live JWKS.
 *
 * What is read: `policy.json` (top-level targets role), whose signed `custom.opkAttest` lists the
 * delegations `[{role, scope}]` and the log IDs; `policy.d/<role>.json` from each delegated role;
 * `oidc/<issuer host>/jwks.json` and `tlog/<logID>.pem` from the top-level role.
 */
import { MAX_POLICY_BYTES } from '../core/limits.js';
import { discoveryKeyFinder, type JwksHttpOptions, type KeyFinder } from '../identity/index.js';
import { logKeyringFromPems, type LogKeyring } from '../tlog/index.js';
import { isBudgetExceeded } from '../core/deadline.js';
import { OpkError } from '../core/errors.js';
import { PolicyError, TufError } from './errors.js';
import {
  archiveKeyFinder,
  archiveTargetPath,
  MAX_JWKS_ARCHIVE_BYTES,
  parseJwksArchive,
  type JwksArchive,
} from './jwks-archive.js';
import { parsePolicy, type Policy } from './model.js';
import { openTufRepository, type TufClientOptions, type TufTargets } from './tuf/client.js';
import {
  checkRoleName,
  fragmentTargetPath,
  mergePolicies,
  TRUST_INDEX_KEY,
  type Delegation,
  type LoadedFragment,
} from './tuf/delegations.js';
import { isRecord } from '../core/guards.js';

/** Largest log key file. */
const MAX_LOG_KEY_BYTES = 16 * 1024;
const MAX_DELEGATIONS = 256;
const MAX_LOG_KEYS = 64;
const LOG_ID = /^[0-9a-f]{64}$/;

/** Everything the trust repository says. */
export interface TrustBundle {
  /** The merged policy the verifier applies. */
  policy: Policy;
  /** One archive per issuer named by the policy that has one. */
  jwksArchives: JwksArchive[];
  logKeys: LogKeyring;
  delegations: Delegation[];
  /** Delegated fragments refused (their scope then fails closed), issuers without a usable archive path. */
  warnings: string[];
}

/** Options of `loadTrust`. */
export type LoadTrustOptions = TufClientOptions;

/** The verifier's trust material (the shape of `TrustMaterial` in the verify part). */
export interface BundleTrustMaterial {
  issuers: readonly string[];
  findKey: KeyFinder;
  logs: LogKeyring;
  commitmentClaims?: Readonly<Record<string, 'aud' | 'nonce'>>;
  /** Where each trust input came from (see TrustMaterial). */
  sources: { input: string; source: string }[];
}

/** Options of `trustMaterialFrom`. */
export interface TrustMaterialOptions {
  /** Also look keys up in the provider's live JWKS (OIDC discovery) when the archive lacks them. Default false. */
  live?: boolean;
  /** Tuning of live fetches. */
  http?: JwksHttpOptions;
  /** Where each issuer puts the commitment (see TrustMaterial). */
  commitmentClaims?: Readonly<Record<string, 'aud' | 'nonce'>>;
  /** How to name the repository in the trust sources (its URL or directory, and the root file). */
  repository?: string;
}

/**
 * Refreshes the TUF repository and loads the policy, JWKS archives and log keys.
 * @throws TufError (TUF_* from the client; TUF_TARGET_MISSING without policy.json or a listed log key;
 *   TUF_TARGET_INVALID for a bad index or log key); PolicyError POLICY_INVALID (top-level policy) |
 *   POLICY_ARCHIVE_INVALID. A bad delegated fragment is not thrown: its scope fails closed (see warnings).
 */
export async function loadTrust(o: LoadTrustOptions): Promise<TrustBundle> {
  const targets = await openTufRepository(o);
  const top = await targets.get('policy.json', MAX_POLICY_BYTES);
  if (!top)
    throw new TufError({
      code: 'TUF_TARGET_MISSING',
      message: `${o.repository}: no policy.json target; publish a policy with "opk-attest trust publish"`,
    });
  const policy = parsePolicy(top.bytes, 'policy.json (TUF)');
  const index = parseIndex(top.custom);
  const fragments: LoadedFragment[] = [];
  for (const d of index.delegations) fragments.push(await loadFragment(targets, d));
  const merged = mergePolicies(policy, fragments);
  const warnings = [...merged.warnings];
  const jwksArchives = await loadArchives(targets, merged.policy, warnings);
  const pems: Record<string, string> = {};
  for (const id of index.tlog) {
    const pem = await targets.get(`tlog/${id}.pem`, MAX_LOG_KEY_BYTES);
    if (!pem)
      throw new TufError({
        code: 'TUF_TARGET_MISSING',
        message: `${o.repository}: policy.json lists log key ${id}, but tlog/${id}.pem is not a target; publish again`,
      });
    pems[id] = pem.bytes.toString('utf8');
  }
  let logKeys: LogKeyring;
  try {
    logKeys = logKeyringFromPems(pems);
  } catch (err) {
    throw new TufError({
      code: 'TUF_TARGET_INVALID',
      cause: err,
      message: `${o.repository}: ${(err as Error).message}`,
    });
  }
  return { policy: merged.policy, jwksArchives, logKeys, delegations: index.delegations, warnings };
}

/**
 * The verifier's trust material from a bundle: the issuers the policy's signers name, a key
 * lookup that consults the JWKS archive first (by kid, the thumbprint checked against the token's
 * jkt) and then, with `live`, the issuer's live JWKS, and the log keys.
 * @throws never
 */
export function trustMaterialFrom(bundle: TrustBundle, o: TrustMaterialOptions = {}): BundleTrustMaterial {
  const issuers = policyIssuers(bundle.policy);
  const archive = archiveKeyFinder(bundle.jwksArchives);
  const live = o.live ? discoveryKeyFinder(o.http) : undefined;
  const findKey: KeyFinder = async (issuer, kid, jkt) =>
    (await archive(issuer, kid, jkt)) ?? (live && issuers.includes(issuer) ? live(issuer, kid, jkt) : undefined);
  const repo = `TUF trust repository ${o.repository ?? ''}`.trimEnd();
  const logIds = [...bundle.logKeys.keys()].map((id) => id.slice(0, 16));
  return {
    issuers,
    findKey,
    logs: bundle.logKeys,
    ...(o.commitmentClaims ? { commitmentClaims: o.commitmentClaims } : {}),
    sources: [
      { input: 'policy', source: `policy.json of ${repo}` },
      {
        input: 'OIDC provider keys',
        source: `JWKS archive of ${repo}${o.live ? ', then the live JWKS (OIDC discovery)' : ''}`,
      },
      {
        input: 'log keys',
        source: logIds.length ? `${logIds.join(', ')} from tlog/*.pem of ${repo}` : `none in ${repo}`,
      },
    ],
  };
}

/**
 * The distinct issuers the policy's signers name (the deny rules of refused fragments name none).
 * @throws never
 */
export function policyIssuers(policy: Policy): string[] {
  return [...new Set(policy.rules.flatMap((r) => r.signers.map((s) => s.issuer)).filter((i) => i !== ''))];
}

async function loadFragment(targets: TufTargets, delegation: Delegation): Promise<LoadedFragment> {
  const rel = fragmentTargetPath(delegation.role);
  try {
    const t = await targets.get(rel, MAX_POLICY_BYTES);
    // A role that lists no fragment (yet) adds no rules; only its own key could have signed that.
    if (!t) return { delegation, policy: { rules: [], revoked: { digests: [], signers: [] } } };
    return { delegation, policy: parsePolicy(t.bytes, rel) };
  } catch (err) {
    // A delegate's bad, tampered or expired metadata fails its own scope closed, not everyone's;
    // a spent time budget is the command's failure, not the delegate's.
    if (err instanceof OpkError && !isBudgetExceeded(err)) return { delegation, problem: err.message };
    throw err;
  }
}

async function loadArchives(targets: TufTargets, policy: Policy, warnings: string[]): Promise<JwksArchive[]> {
  const out: JwksArchive[] = [];
  for (const issuer of policyIssuers(policy)) {
    let rel: string;
    try {
      rel = archiveTargetPath(issuer);
    } catch (err) {
      // An issuer URL with no archive path can still verify through live discovery.
      warnings.push((err as Error).message);
      continue;
    }
    const t = await targets.get(rel, MAX_JWKS_ARCHIVE_BYTES);
    if (!t) continue;
    const archive = parseJwksArchive(t.bytes, `${rel} (TUF)`);
    if (archive.issuer !== issuer) {
      throw new PolicyError({
        code: 'POLICY_ARCHIVE_INVALID',
        message: `${rel} (TUF) holds the archive of ${archive.issuer}, not ${issuer}; sync it again and publish`,
      });
    }
    out.push(archive);
  }
  return out;
}

/** The index in policy.json's signed `custom.opkAttest`: delegations and log IDs. */
function parseIndex(custom: Record<string, unknown>): { delegations: Delegation[]; tlog: string[] } {
  const bad = (fault: string) =>
    new TufError({
      code: 'TUF_TARGET_INVALID',
      message: `policy.json target: custom.${TRUST_INDEX_KEY} ${fault}; publish again with "opk-attest trust publish"`,
    });
  const index = Object.hasOwn(custom, TRUST_INDEX_KEY) ? custom[TRUST_INDEX_KEY] : undefined;
  if (index === undefined) return { delegations: [], tlog: [] };
  if (!isRecord(index)) throw bad('is not an object');
  const { delegations = [], tlog = [] } = index;
  if (!Array.isArray(delegations) || delegations.length > MAX_DELEGATIONS)
    throw bad(`delegations is not an array of at most ${MAX_DELEGATIONS}`);
  if (
    !Array.isArray(tlog) ||
    tlog.length > MAX_LOG_KEYS ||
    !tlog.every((id) => typeof id === 'string' && LOG_ID.test(id))
  )
    throw bad('tlog is not a list of log IDs');
  const parsed = delegations.map((d) => {
    if (!isRecord(d) || typeof d.role !== 'string' || typeof d.scope !== 'string' || d.scope === '')
      throw bad('has a delegation without role and scope');
    try {
      checkRoleName(d.role);
    } catch (err) {
      throw bad(`names a bad role (${(err as Error).message})`);
    }
    return { role: d.role, scope: d.scope };
  });
  if (new Set(parsed.map((d) => d.role)).size !== parsed.length) throw bad('names one role twice');
  return { delegations: parsed, tlog: [...new Set(tlog as string[])] };
}
