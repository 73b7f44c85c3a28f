/**
 * `opk-attest pktoken verify`: checks one PK token with `verifyPkToken` against OP keys from a
 * JWKS file or the issuer's live discovery. Exit 0 valid, 1 invalid (the coded reason on stderr,
 * and as JSON with `--json`), 2 usage error.
 */
import {
  discoveryKeyFinder,
  GITHUB_ACTIONS_ISSUER,
  jwksKeyFinder,
  keyidOfJwk,
  PkTokenError,
  verifyPkToken,
  type ExpiryPolicy,
  type KeyFinder,
  type VerifiedPkToken,
  type VerifyPkTokenOptions,
} from '../identity/index.js';
import { atMostOne, integer, oneOf, required, runCommand, UsageError, type ParsedArgs } from './args.js';
import { readJwksFile, readTokenFile } from './pktoken-read.js';
import { fields } from './pktoken-show.js';
import { safeJson, safeText } from './terminal-text.js';
import { formatError } from './errors.js';

const USAGE = `usage: opk-attest pktoken verify --token FILE (--jwks FILE | --issuer-discovery) [options]

Verifies a PK token (JSON or compact form): the CIC signature by its user key, the issuer, the
OP signature (GQ256; RS256 only with --allow-rs256), the commitment and the token's age.
Exit status: 0 valid, 1 invalid (reason and code on stderr), 2 usage error.

options:
  --token FILE               the PK token; - reads stdin
  --jwks FILE                the OP's keys as a JWK Set (e.g. a saved copy of its jwks_uri)
  --issuer-discovery         fetch the issuer's live keys by OIDC discovery (https)
  --issuer URL               an accepted issuer; repeatable
                             (default ${GITHUB_ACTIONS_ISSUER})
  --max-age SECONDS          valid until iat + SECONDS (default 86400)
  --check-exp                valid until the ID token's exp
  --never-expire             no time check (stored signatures bound by att/atts)
  --now UNIX                 check the age at this time (seconds since 1970) instead of now
  --commitment-claim aud|nonce
                             where the commitment is (default: aud for GitHub Actions issuers —
                               GitHub.com, GHE.com, GHES — else nonce)
  --allow-rs256              accept an RS256 OP signature (the token then holds a bearer ID token)
  --legacy-gq                GQ256 as openpubkey made it before v0.25.0 (jkt not signed)
  --json                     print {"valid":…} as JSON on stdout
`;

const SPEC = {
  name: 'pktoken verify',
  usage: USAGE,
  options: {
    token: { type: 'string' },
    jwks: { type: 'string' },
    'issuer-discovery': { type: 'boolean' },
    issuer: { type: 'string', multiple: true },
    'max-age': { type: 'string' },
    'check-exp': { type: 'boolean' },
    'never-expire': { type: 'boolean' },
    now: { type: 'string' },
    'commitment-claim': { type: 'string' },
    'allow-rs256': { type: 'boolean' },
    'legacy-gq': { type: 'boolean' },
    json: { type: 'boolean' },
  },
} as const;

type Values = ParsedArgs<typeof SPEC.options>['values'];

/**
 * Runs `pktoken verify`.
 * @param argv - the arguments after `verify`
 * @returns 0 valid, 1 invalid, 2 usage error
 * @throws nothing coded: PK token and JWKS failures become exit 1; unexpected errors propagate
 */
export function verifyPkTokenCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values }) => {
    const tokenPath = required(values.token, '--token FILE');
    const policy = policyOf(values);
    try {
      const findKey = await keySource(values, policy.allowedIssuers);
      const verified = await verifyPkToken(await readTokenFile(tokenPath), { ...policy, findKey });
      process.stdout.write(values.json ? `${safeJson(validReport(verified))}\n` : validText(verified));
      return 0;
    } catch (err) {
      if (!(err instanceof PkTokenError)) throw err;
      process.stderr.write(`opk-attest ${SPEC.name}: ${formatError(err)}\n`);
      if (values.json) process.stdout.write(`${safeJson({ valid: false, code: err.code, message: err.message })}\n`);
      return 1;
    }
  });
}

/** Everything but the key source, from the flags; all usage errors surface before any I/O. */
function policyOf(v: Values): Omit<VerifyPkTokenOptions, 'findKey'> {
  if (!atMostOne({ '--jwks': v.jwks !== undefined, '--issuer-discovery': v['issuer-discovery'] === true })) {
    throw new UsageError('say where the OP keys come from: --jwks FILE or --issuer-discovery');
  }
  const now = v.now === undefined ? undefined : integer(v.now, '--now');
  return {
    allowedIssuers: v.issuer?.length ? v.issuer : [GITHUB_ACTIONS_ISSUER],
    expiry: expiryOf(v),
    now: now === undefined ? undefined : () => new Date(now * 1000),
    commitmentClaim:
      v['commitment-claim'] === undefined
        ? undefined
        : oneOf(v['commitment-claim'], '--commitment-claim', ['aud', 'nonce']),
    requireGq: !v['allow-rs256'],
    legacyGq: v['legacy-gq'] === true,
  };
}

function expiryOf(v: Values): ExpiryPolicy | undefined {
  const chosen = atMostOne({
    '--max-age': v['max-age'] !== undefined,
    '--check-exp': v['check-exp'] === true,
    '--never-expire': v['never-expire'] === true,
  });
  if (chosen === '--max-age') return { kind: 'max-age', seconds: integer(v['max-age']!, '--max-age', 1) };
  if (chosen === '--check-exp') return { kind: 'exp' };
  if (chosen === '--never-expire') return { kind: 'never' };
  return undefined; // the library's default, DEFAULT_EXPIRY
}

/** A JWKS file serves every accepted issuer (the user chose both); discovery asks each issuer. */
async function keySource(v: Values, issuers: readonly string[]): Promise<KeyFinder> {
  if (v.jwks === undefined) return discoveryKeyFinder();
  const jwks = await readJwksFile(v.jwks);
  return jwksKeyFinder(Object.fromEntries(issuers.map((issuer) => [issuer, jwks])));
}

function validReport(v: VerifiedPkToken): Record<string, unknown> {
  return {
    valid: true,
    issuer: v.issuer,
    subject: v.subject,
    kid: v.kid ?? null,
    hash: v.hash,
    opAlg: v.opAlg,
    upk: v.upk,
    upkKeyid: upkKeyid(v),
    extraClaims: v.cic.extra,
    claims: v.claims,
  };
}

function validText(v: VerifiedPkToken): string {
  const extra = Object.entries(v.cic.extra);
  return `valid PK token\n${fields([
    ['issuer', safeText(v.issuer)],
    ['subject', safeText(v.subject)],
    ['OP key id', v.kid === undefined ? '(none)' : safeText(v.kid)],
    ['OP signature', v.opAlg],
    ['hash', v.hash],
    ['user key', `${v.upk.kty}${upkKeyid(v) ? ` keyid ${upkKeyid(v)}` : ''}`],
    ...extra.map(([name, value]) => [`CIC ${safeText(name)}`, safeText(value)] as const),
  ])}`;
}

/** The DSSE keyid of a P-256 user key (the verifier has already checked it is a valid key). */
function upkKeyid(v: VerifiedPkToken): string | undefined {
  return v.upk.kty === 'EC' && v.upk.crv === 'P-256' ? keyidOfJwk(v.upk) : undefined;
}
