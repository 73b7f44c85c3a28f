/** `opk-attest trust threshold|require|revoke`: per-scope requirements and the block-list. */
import { parseDigest } from '../core/digest.js';
import {
  readStagedPolicy,
  revokeDigest,
  revokeSigner,
  setRequire,
  setThreshold,
  stagePolicy,
} from '../policy/index.js';
import { atMostOne, integer, required, runCommand, UsageError } from './args.js';
import { DIR_OPTIONS, DIR_USAGE, dirOf, say, STAGED_NOTE } from './trust-dir.js';

const ROLE_USAGE = `  --role ROLE                edit the policy fragment of delegated role ROLE (default: the top-level policy)\n`;
const OPTIONS = { ...DIR_OPTIONS, scope: { type: 'string' }, role: { type: 'string' } } as const;

const THRESHOLD = {
  name: 'trust threshold',
  positionals: { min: 1, max: 1 },
  options: OPTIONS,
  usage: `usage: opk-attest trust threshold N --scope GLOB [options]

Requires N distinct signers (of the rule's signers) for images in scope GLOB.

options:
${ROLE_USAGE}${DIR_USAGE}`,
} as const;

const REQUIRE = {
  name: 'trust require',
  positionals: { min: 0, max: 64 },
  options: OPTIONS,
  usage: `usage: opk-attest trust require [TYPE…] --scope GLOB [options]

Sets the predicate types (globs, e.g. https://slsa.dev/provenance/* https://spdx.dev/Document) that
an allowed signer must have signed for images in scope GLOB; no TYPE requires none.

options:
${ROLE_USAGE}${DIR_USAGE}`,
} as const;

const REVOKE = {
  name: 'trust revoke',
  positionals: { min: 0, max: 1 },
  options: { ...DIR_OPTIONS, signer: { type: 'string' }, role: { type: 'string' } },
  usage: `usage: opk-attest trust revoke DIGEST | --signer NAME [options]

Blocks an image digest (sha256:…, an index or a platform manifest) or a signer name (in a
delegated role's rules, NAME is role/name from the top level).

options:
${ROLE_USAGE}${DIR_USAGE}`,
} as const;

/** Runs `trust threshold`. */
export function thresholdCommand(argv: string[]): Promise<number> {
  return runCommand(THRESHOLD, argv, async ({ values: v, positionals }) => {
    const dir = dirOf(v);
    const scope = required(v.scope, '--scope');
    const n = integer(positionals[0]!, 'N', 1);
    await stagePolicy(dir, setThreshold(await readStagedPolicy(dir, v.role), scope, n), v.role);
    say(`rule ${scope} now requires ${n} distinct signer(s); ${STAGED_NOTE}`);
    return 0;
  });
}

/** Runs `trust require`. */
export function requireCommand(argv: string[]): Promise<number> {
  return runCommand(REQUIRE, argv, async ({ values: v, positionals }) => {
    const dir = dirOf(v);
    const scope = required(v.scope, '--scope');
    await stagePolicy(dir, setRequire(await readStagedPolicy(dir, v.role), scope, positionals), v.role);
    say(
      `rule ${scope} now requires ${positionals.length ? positionals.join(', ') : 'no particular predicate'}; ${STAGED_NOTE}`,
    );
    return 0;
  });
}

/** Runs `trust revoke`. */
export function revokeCommand(argv: string[]): Promise<number> {
  return runCommand(REVOKE, argv, async ({ values: v, positionals }) => {
    const dir = dirOf(v);
    const digest = positionals[0];
    if (!atMostOne({ DIGEST: digest !== undefined, '--signer': v.signer !== undefined }))
      throw new UsageError('give an image DIGEST or --signer NAME');
    const policy = await readStagedPolicy(dir, v.role);
    if (digest !== undefined) {
      let d;
      try {
        d = parseDigest(digest, 'DIGEST');
      } catch (err) {
        throw new UsageError('DIGEST must be sha256: followed by 64 lowercase hex characters', err);
      }
      await stagePolicy(dir, revokeDigest(policy, d), v.role);
      say(`image ${d} revoked; ${STAGED_NOTE}`);
    } else {
      await stagePolicy(dir, revokeSigner(policy, v.signer!), v.role);
      say(`signer ${v.signer} revoked; ${STAGED_NOTE}`);
    }
    return 0;
  });
}
