/** `opk-attest trust publish`: sign the staged state into the published repository. */
import { publishRepository, readPublishedPolicies } from '../policy/index.js';
import { runCommand } from './args.js';
import { effectiveRuleLines, formatDiff, lineDiff } from './trust-diff.js';
import { DIR_OPTIONS, DIR_USAGE, dirOf, EXPIRY_OPTIONS, EXPIRY_USAGE, say, signingOptions } from './trust-dir.js';

const USAGE = `usage: opk-attest trust publish [options]

Validates everything staged (policies parse, delegated rules stay in their scope, archives and log
keys parse; nothing is signed otherwise), re-signs each targets role whose content changed or that
nears expiry, and always signs a new snapshot and timestamp. Run it at least daily: the timestamp
expires after a day by default. Prints the effective rules before and after, as a diff. Then
upload DIR/repository/ (timestamp.json last).

options:
${DIR_USAGE}${EXPIRY_USAGE}`;

const SPEC = { name: 'trust publish', usage: USAGE, options: { ...DIR_OPTIONS, ...EXPIRY_OPTIONS } } as const;

/** Runs `trust publish`. */
export function publishCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values: v }) => {
    const before = effectiveRuleLines(await readPublishedPolicies(dirOf(v)));
    const r = await publishRepository(dirOf(v), signingOptions(v));
    const after = effectiveRuleLines(await readPublishedPolicies(dirOf(v)));
    say(...formatDiff('effective rules (- before publishing, + after)', lineDiff(before, after)));
    const roles = Object.entries(r.signed).map(([role, version]) => `${role} v${version}`);
    say(
      `published: ${roles.length ? `${roles.join(', ')}, ` : ''}snapshot v${r.snapshotVersion}, timestamp v${r.timestampVersion} (root v${r.rootVersion})`,
    );
    return 0;
  });
}
