/** `opk-attest trust threshold|require`: per-scope requirements. */
import { readStagedPolicy, setRequire, setThreshold, stagePolicy } from '../policy/index.js';
import { integer, required, runCommand } from './args.js';
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
