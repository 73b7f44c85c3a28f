/** `opk-attest trust signer add|remove|list`: the allowed signers of each image scope. */
import {
  addSigner,
  readDelegations,
  readStagedPolicy,
  removeSigner,
  stagePolicy,
  type Policy,
} from '../policy/index.js';
import { keyValues, required, runCommand } from './args.js';
import { printable, safeJson, safeText } from './terminal-text.js';
import { DIR_OPTIONS, DIR_USAGE, dirOf, dispatch, say, STAGED_NOTE } from './trust-dir.js';

const ROLE_USAGE = `  --role ROLE                edit the policy fragment of delegated role ROLE (default: the top-level policy)\n`;

const USAGE = `usage: opk-attest trust signer <add|remove|list> [options]

  add NAME --scope GLOB --issuer URL [--claim CLAIM=GLOB]…
                             allow a signer in the rule of scope GLOB (created if missing, before any
                             broader rule): tokens of issuer URL whose claims match, e.g.
                             --claim repository=acme/app --claim ref=refs/heads/main
  remove NAME [--scope GLOB] [--lower-threshold]
                             remove a signer from one rule or from all; refused when a rule would be
                             left with fewer signers than its threshold (or none: the rule goes)
                             unless --lower-threshold
  list [--json]              show the rules and their signers (--json: as one JSON object)

options:
${ROLE_USAGE}${DIR_USAGE}`;

const ADD = {
  name: 'trust signer add',
  usage: USAGE,
  positionals: { min: 1, max: 1 },
  options: {
    ...DIR_OPTIONS,
    scope: { type: 'string' },
    issuer: { type: 'string' },
    claim: { type: 'string', multiple: true },
    role: { type: 'string' },
  },
} as const;
const REMOVE = {
  name: 'trust signer remove',
  usage: USAGE,
  positionals: { min: 1, max: 1 },
  options: {
    ...DIR_OPTIONS,
    scope: { type: 'string' },
    role: { type: 'string' },
    'lower-threshold': { type: 'boolean' },
  },
} as const;
const LIST = {
  name: 'trust signer list',
  usage: USAGE,
  options: { ...DIR_OPTIONS, role: { type: 'string' }, json: { type: 'boolean' } },
} as const;

/** Runs `trust signer …`. */
export function signerCommand(argv: string[]): Promise<number> {
  return dispatch('trust signer', USAGE, { add, remove, list }, argv);
}

function add(argv: string[]): Promise<number> {
  return runCommand(ADD, argv, async ({ values: v, positionals }) => {
    const dir = dirOf(v);
    const name = positionals[0]!;
    const scope = required(v.scope, '--scope');
    const claims = keyValues(v.claim, '--claim');
    const policy = addSigner(await readStagedPolicy(dir, v.role), scope, {
      name,
      issuer: required(v.issuer, '--issuer'),
      claims,
    });
    await stagePolicy(dir, policy, v.role);
    say(`signer ${name} added to rule ${scope}${v.role ? ` of delegated role ${v.role}` : ''}; ${STAGED_NOTE}`);
    if (Object.keys(claims).length === 0)
      say(`warning: no --claim: any identity of ${v.issuer} may sign images in ${scope}`);
    return 0;
  });
}

function remove(argv: string[]): Promise<number> {
  return runCommand(REMOVE, argv, async ({ values: v, positionals }) => {
    const dir = dirOf(v);
    const name = positionals[0]!;
    const { policy, removedRules, lowered } = removeSigner(await readStagedPolicy(dir, v.role), name, v.scope, {
      lowerThreshold: v['lower-threshold'] === true,
    });
    await stagePolicy(dir, policy, v.role);
    const warn = (line: string) =>
      process.stderr.write(`opk-attest trust signer remove: warning: ${printable(line)}\n`);
    for (const l of lowered.filter((x) => x.to > 0))
      warn(`rule ${l.scope} now requires ${l.to} signer(s) instead of ${l.from} (--lower-threshold)`);
    if (removedRules.length)
      warn(`rules left without signers were removed (--lower-threshold): ${removedRules.join(', ')}`);
    say(`signer ${name} removed; ${STAGED_NOTE}`);
    return 0;
  });
}

function list(argv: string[]): Promise<number> {
  return runCommand(LIST, argv, async ({ values: v }) => {
    const dir = dirOf(v);
    const roles = v.role ? [v.role] : [undefined, ...(await readDelegations(dir)).map((d) => d.role)];
    const policies = await Promise.all(
      roles.map(async (role) => ({ role, policy: await readStagedPolicy(dir, role) })),
    );
    if (v.json) process.stdout.write(`${safeJson({ policies: policies.map((p) => rulesJson(p.policy, p.role)) })}\n`);
    else for (const { role, policy } of policies) say(...describeRules(policy, role));
    return 0;
  });
}

/**
 * The rules of a policy, one block per rule, as `signer list` and `inspect` print them.
 * @throws never
 */
export function describeRules(policy: Policy, role?: string): string[] {
  const head = role ? `delegated role ${role}:` : 'top-level policy:';
  if (policy.rules.length === 0) return [head, '  (no rules)'];
  return [
    head,
    ...policy.rules.flatMap((r) => [
      `  scope ${safeText(r.scope)}: ${r.threshold} of ${r.signers.length} signer(s), log ${r.transparencyLog}, ${r.level}${r.require.length ? `, requires ${r.require.map(safeText).join(', ')}` : ''}`,
      ...r.signers.map(
        (s) =>
          `    ${safeText(s.name)}${policy.revoked.signers.includes(s.name) ? ' (revoked)' : ''}: ${safeText(s.issuer)} ${
            Object.entries(s.claims)
              .map(([k, g]) => `${safeText(k)}=${safeText(g)}`)
              .join(' ') || '(any identity)'
          }`,
      ),
    ]),
  ];
}

/** The rules of a policy as `signer list --json` prints them: each signer marked revoked or not. */
function rulesJson(policy: Policy, role: string | undefined): unknown {
  return {
    role: role ?? null,
    rules: policy.rules.map((r) => ({
      ...r,
      signers: r.signers.map((s) => {
        const revoked = policy.revoked.signers.includes(s.name);
        const reason = revoked ? policy.revoked.reasons?.[s.name] : undefined;
        return { ...s, revoked, ...(reason === undefined ? {} : { revokedReason: reason }) };
      }),
    })),
  };
}
