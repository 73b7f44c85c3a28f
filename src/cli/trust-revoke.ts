/**
 * `opk-attest trust revoke|unrevoke`: the block-list. An image digest, a signer name, or a whole
 * scope (a repository or namespace glob; with `--before DATE`, only signatures logged before it),
 * each with a reason that verifiers are shown; `unrevoke` lifts one again.
 */
import { parseDigest, type Digest } from '../core/digest.js';
import {
  readStagedPolicy,
  revokeDigest,
  revokeScope,
  revokeSigner,
  stagePolicy,
  unrevoke,
  type Policy,
} from '../policy/index.js';
import { atMostOne, runCommand, UsageError } from './args.js';
import { DIR_OPTIONS, DIR_USAGE, dirOf, say, STAGED_NOTE } from './trust-dir.js';

const ROLE_USAGE = `  --role ROLE                edit the policy fragment of delegated role ROLE (default: the top-level policy)\n`;
const MAX_REASON = 500;

const REVOKE = {
  name: 'trust revoke',
  positionals: { min: 0, max: 1 },
  options: {
    ...DIR_OPTIONS,
    signer: { type: 'string' },
    scope: { type: 'string' },
    before: { type: 'string' },
    reason: { type: 'string' },
    role: { type: 'string' },
  },
  usage: `usage: opk-attest trust revoke DIGEST | --signer NAME | --scope GLOB [--before DATE] [--reason TEXT] [options]

Blocks an image digest (sha256:…, an index or a platform manifest), a signer name (in a delegated
role's rules, NAME is role/name from the top level), or every image whose registry/repository
matches GLOB (e.g. ghcr.io/acme/app or ghcr.io/acme/**). With --before DATE (YYYY-MM-DD or
RFC 3339), only the signatures of that scope logged before DATE are revoked (by the log's time;
signatures without a verified log time count as before). The reason is shown to verifiers.

options:
  --reason TEXT              why (shown in verify reports)
${ROLE_USAGE}${DIR_USAGE}`,
} as const;

const UNREVOKE = {
  name: 'trust unrevoke',
  positionals: { min: 0, max: 1 },
  options: { ...DIR_OPTIONS, signer: { type: 'string' }, scope: { type: 'string' }, role: { type: 'string' } },
  usage: `usage: opk-attest trust unrevoke DIGEST | --signer NAME | --scope GLOB [options]

Lifts a revocation made with "trust revoke" (and its reason).

options:
${ROLE_USAGE}${DIR_USAGE}`,
} as const;

/** Runs `trust revoke`. */
export function revokeCommand(argv: string[]): Promise<number> {
  return runCommand(REVOKE, argv, async ({ values: v, positionals }) => {
    const dir = dirOf(v);
    const target = pick(positionals[0], v);
    if (v.before !== undefined && !('scope' in target)) throw new UsageError('--before goes with --scope');
    const reason = v.reason === undefined ? undefined : checkReason(v.reason);
    const policy = await readStagedPolicy(dir, v.role);
    let next: Policy;
    let what: string;
    if ('digest' in target) {
      next = revokeDigest(policy, target.digest, reason);
      what = `image ${target.digest}`;
    } else if ('signer' in target) {
      next = revokeSigner(policy, target.signer, reason);
      what = `signer ${target.signer}`;
    } else {
      const before = v.before === undefined ? undefined : utcTime(v.before);
      next = revokeScope(policy, {
        scope: target.scope,
        ...(before ? { before } : {}),
        ...(reason ? { reason } : {}),
      });
      what = `images in scope ${target.scope}${before ? ` (signatures logged before ${before})` : ''}`;
    }
    await stagePolicy(dir, next, v.role);
    say(`${what} revoked${reason ? ` (${reason})` : ''}; ${STAGED_NOTE}`);
    return 0;
  });
}

/** Runs `trust unrevoke`. */
export function unrevokeCommand(argv: string[]): Promise<number> {
  return runCommand(UNREVOKE, argv, async ({ values: v, positionals }) => {
    const dir = dirOf(v);
    const target = pick(positionals[0], v);
    await stagePolicy(dir, unrevoke(await readStagedPolicy(dir, v.role), target), v.role);
    const name = 'digest' in target ? target.digest : 'signer' in target ? target.signer : target.scope;
    say(`${name} no longer revoked; ${STAGED_NOTE}`);
    return 0;
  });
}

function pick(
  digest: string | undefined,
  v: { signer?: string; scope?: string },
): { digest: Digest } | { signer: string } | { scope: string } {
  const one = atMostOne({
    DIGEST: digest !== undefined,
    '--signer': v.signer !== undefined,
    '--scope': v.scope !== undefined,
  });
  if (one === undefined) throw new UsageError('give an image DIGEST, --signer NAME or --scope GLOB');
  if (v.signer !== undefined) return { signer: v.signer };
  if (v.scope !== undefined) return { scope: v.scope };
  try {
    return { digest: parseDigest(digest!, 'DIGEST') };
  } catch (err) {
    throw new UsageError('DIGEST must be sha256: followed by 64 lowercase hex characters', err);
  }
}

function checkReason(reason: string): string {
  if (reason.trim() === '' || reason.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(reason))
    throw new UsageError(`--reason must be 1 to ${MAX_REASON} printable characters on one line`);
  return reason;
}

/** YYYY-MM-DD or an RFC 3339 time, as RFC 3339 UTC with second precision. */
function utcTime(value: string): string {
  const ok = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/.test(value);
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!ok || Number.isNaN(ms))
    throw new UsageError(
      '--before takes a date, YYYY-MM-DD (UTC midnight) or an RFC 3339 time such as 2026-05-01T12:00:00Z',
    );
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
