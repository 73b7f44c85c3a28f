/**
 * `opk-attest trust jwks sync|remove`: merge the providers' live signing keys into their archives,
 * or distrust a leaked one (it stays listed, marked, so no later sync brings it back as trusted).
 */
import { fetchJwks } from '../identity/index.js';
import {
  checkIssuerUrl,
  distrustJwksKey,
  emptyJwksArchive,
  mergeJwksArchive,
  policyIssuers,
  readDelegations,
  readStagedArchive,
  readStagedPolicy,
  stageArchive,
} from '../policy/index.js';
import { required, runCommand, UsageError } from './args.js';
import { DIR_OPTIONS, DIR_USAGE, dirOf, dispatch, say, STAGED_NOTE } from './trust-dir.js';

const USAGE = `usage: opk-attest trust jwks sync [--issuer URL]… [options]
       opk-attest trust jwks remove --issuer URL --kid KID --reason TEXT [options]

remove: marks the archived key KID of issuer URL as distrusted (for a leaked provider key). It
stays in the archive; every PK token it signed then fails verification with the reason, even if
the provider still serves the key.

sync: fetches each issuer's live JWKS by OIDC discovery and merges it into the archive
oidc/<issuer host>/jwks.json: new keys are added with first/last seen, known keys get last seen
now, and no key is ever removed, so signatures made before a provider rotates keep verifying.
Without --issuer: every issuer the staged policies name. Run it regularly (e.g. daily), then publish.

options:
  --issuer URL               an issuer to sync; repeatable
${DIR_USAGE}`;

const REMOVE = {
  name: 'trust jwks remove',
  usage: USAGE,
  options: { ...DIR_OPTIONS, issuer: { type: 'string' }, kid: { type: 'string' }, reason: { type: 'string' } },
} as const;

const SYNC = {
  name: 'trust jwks sync',
  usage: USAGE,
  options: { ...DIR_OPTIONS, issuer: { type: 'string', multiple: true } },
} as const;

/** Runs `trust jwks …`. */
export function jwksCommand(argv: string[]): Promise<number> {
  return dispatch('trust jwks', USAGE, { sync, remove }, argv);
}

function sync(argv: string[]): Promise<number> {
  return runCommand(SYNC, argv, async ({ values: v }) => {
    const dir = dirOf(v);
    const issuers = v.issuer?.length ? v.issuer : await namedIssuers(dir);
    for (const issuer of v.issuer ?? []) checkIssuerUrl(issuer);
    if (issuers.length === 0) say('no issuer to sync: the policy names none; add a signer or pass --issuer URL');
    for (const issuer of issuers) {
      const archive = (await readStagedArchive(dir, issuer)) ?? emptyJwksArchive(issuer);
      const merged = mergeJwksArchive(archive, await fetchJwks(issuer), new Date());
      await stageArchive(dir, merged.archive);
      say(
        `${issuer}: ${merged.added.length} new key(s)${merged.added.length ? ` (${merged.added.map((k) => k.jwk.kid ?? k.thumbprint).join(', ')})` : ''}, ${merged.seen} already archived, ${merged.archive.keys.length} in the archive`,
      );
      for (const s of merged.skipped) say(`  skipped live key ${s.kid ?? '(no kid)'}: ${s.reason}`);
    }
    if (issuers.length > 0) say(STAGED_NOTE);
    return 0;
  });
}

function remove(argv: string[]): Promise<number> {
  return runCommand(REMOVE, argv, async ({ values: v }) => {
    const dir = dirOf(v);
    const issuer = required(v.issuer, '--issuer');
    const kid = required(v.kid, '--kid');
    const reason = required(v.reason, '--reason');
    checkIssuerUrl(issuer);
    const archive = await readStagedArchive(dir, issuer);
    if (!archive)
      throw new UsageError(
        `no archive of ${issuer} is staged; run "opk-attest trust jwks sync --issuer ${issuer}" first`,
      );
    const r = distrustJwksKey(archive, kid, reason, new Date());
    await stageArchive(dir, r.archive);
    say(`${issuer} key ${kid} (jkt ${r.marked.join(', ')}) distrusted: ${reason}; ${STAGED_NOTE}`);
    return 0;
  });
}

async function namedIssuers(dir: string): Promise<string[]> {
  const roles = [undefined, ...(await readDelegations(dir)).map((d) => d.role)];
  const all = await Promise.all(roles.map(async (r) => policyIssuers(await readStagedPolicy(dir, r))));
  return [...new Set(all.flat())];
}
