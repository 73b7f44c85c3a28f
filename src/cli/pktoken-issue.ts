/**
 * `opk-attest pktoken issue`: asks an OIDC provider for an ID token committing to a fresh
 * ephemeral key and prints the resulting GQ256 PK token. The key is discarded when the command
 * ends, so the token can sign nothing: the command exists to debug providers and to hand tokens
 * to other OpenPubkey implementations. Secrets (request token, client secret, the RS256 ID token)
 * are never printed; the client secret is only ever read from an environment variable.
 *
 * There is no "token from an environment variable" provider: a variable set before this process
 * started cannot hold a token for a key this process creates. `--provider file` serves that case
 * when the file is written after the commitment is announced (e.g. a named pipe).
 */
import { open } from 'node:fs/promises';
import {
  clientCredentialsProvider, discoveryKeyFinder, EphemeralKey, githubActionsProvider, issuePkToken,
  staticTokenProvider, type CommitmentClaim, type OidcProvider, type PkToken,
} from '../identity/index.js';
import { keyValues, oneOf, required, runCommand, UsageError, type ParsedArgs } from './args.js';
import { opHeaders, safeText } from './pktoken-show.js';

const USAGE = `usage: opk-attest pktoken issue [--provider github|file|client-credentials] [options]

Gets an ID token that commits to a fresh ephemeral key and prints the GQ256 PK token (JSON) on
stdout, with a one-line summary on stderr. The ephemeral key is discarded: the token is for
debugging and interoperability, it cannot sign anything.

options:
  --provider NAME            github (default): the GitHub Actions job's OIDC endpoint
                               (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN; needs permissions: id-token: write)
                             file: an ID token read from --token-file once the commitment is
                               announced on stderr (use a named pipe, written after that line)
                             client-credentials: OAuth 2.0 client credentials at --issuer
  --issuer URL               expected issuer (github: default https://token.actions.githubusercontent.com;
                               required for client-credentials)
  --token-file PATH          file: where the ID token is read from
  --client-id ID             client-credentials: the client id
  --client-secret-env NAME   client-credentials: the environment variable holding the secret
  --commitment-claim aud|nonce
                             file, client-credentials: where the commitment goes (default aud;
                               github always uses aud)
  --extra-claim NAME=VALUE   an extra CIC claim (e.g. att=<hex>); repeatable
  --out FILE                 write the token to FILE (mode 0600) instead of stdout
`;

const SPEC = {
  name: 'pktoken issue',
  usage: USAGE,
  options: {
    provider: { type: 'string' },
    issuer: { type: 'string' },
    'token-file': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret-env': { type: 'string' },
    'commitment-claim': { type: 'string' },
    'extra-claim': { type: 'string', multiple: true },
    out: { type: 'string' },
  },
} as const;

type Values = ParsedArgs<typeof SPEC.options>['values'];

const PROVIDERS = ['github', 'file', 'client-credentials'] as const;
type ProviderName = (typeof PROVIDERS)[number];

/** Options that configure a provider; each provider accepts only its own (anything else is a mistake). */
const PROVIDER_SPECIFIC = ['issuer', 'token-file', 'client-id', 'client-secret-env', 'commitment-claim'] as const;
const PROVIDER_OPTIONS: Record<ProviderName, readonly (typeof PROVIDER_SPECIFIC)[number][]> = {
  github: ['issuer'],
  file: ['issuer', 'token-file', 'commitment-claim'],
  'client-credentials': ['issuer', 'client-id', 'client-secret-env', 'commitment-claim'],
};

/**
 * Runs `pktoken issue`.
 * @param argv - the arguments after `issue`
 * @returns 0 when a token was issued, 2 for a usage error
 * @throws OidcError OIDC_* | PkTokenError PKT_* from the provider and issuance (the dispatcher
 *   prints them, exit 1)
 */
export function issuePkTokenCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values }) => {
    const extraClaims = keyValues(values['extra-claim'], '--extra-claim');
    const provider = providerOf(values);
    const pkt = await issuePkToken({
      requestIdToken: (commitment) => {
        if (provider.name === 'static-token') {
          process.stderr.write(`opk-attest ${SPEC.name}: commitment ${commitment}; waiting for an ID token with it as "${provider.commitmentClaim}" in ${values['token-file']}\n`);
        }
        return provider.requestIdToken(commitment);
      },
      commitmentClaim: provider.commitmentClaim,
      key: EphemeralKey.generate(),
      extraClaims,
      findKey: discoveryKeyFinder(),
      gq: true,
    });
    await output(pkt, values.out);
    process.stderr.write(`${summary(pkt)}\n`);
    return 0;
  });
}

function providerOf(v: Values): OidcProvider {
  const name = oneOf(v.provider ?? 'github', '--provider', PROVIDERS);
  for (const option of PROVIDER_SPECIFIC) {
    if (v[option] !== undefined && !PROVIDER_OPTIONS[name].includes(option)) {
      throw new UsageError(`--${option} does not apply to --provider ${name}`);
    }
  }
  const claim: CommitmentClaim = oneOf(v['commitment-claim'] ?? 'aud', '--commitment-claim', ['aud', 'nonce']);
  if (name === 'github') return githubActionsProvider(v.issuer === undefined ? {} : { issuer: v.issuer });
  if (name === 'file') {
    return staticTokenProvider({ source: { file: required(v['token-file'], '--token-file PATH') }, commitmentClaim: claim, issuer: v.issuer });
  }
  return clientCredentialsProvider({
    issuer: required(v.issuer, '--issuer URL'),
    clientId: required(v['client-id'], '--client-id ID'),
    clientSecret: secretFromEnv(required(v['client-secret-env'], '--client-secret-env NAME')),
    commitmentClaim: claim,
  });
}

function secretFromEnv(name: string): string {
  const secret = process.env[name];
  if (!secret) throw new UsageError(`environment variable ${name} (named by --client-secret-env) is not set or empty`);
  return secret;
}

/** The JSON form; in a file byte for byte (its hash is the token's), on a terminal with a newline. */
async function output(pkt: PkToken, out: string | undefined): Promise<void> {
  const json = pkt.jsonBytes();
  if (out === undefined) {
    process.stdout.write(Buffer.concat([json, Buffer.from('\n')]));
    return;
  }
  const file = await open(out, 'w', 0o600).catch((err: unknown) => {
    throw new UsageError(`cannot write --out ${out} (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path`, err);
  });
  try {
    await file.chmod(0o600); // the mode of open() applies only to a file it creates
    await file.writeFile(json);
  } finally {
    await file.close();
  }
}

function summary(pkt: PkToken): string {
  const op = opHeaders(pkt);
  return `issued PK token: issuer ${safeText(pkt.issuer)}, sub ${safeText(pkt.claims.sub)}, ` +
    `kid ${op.kid === undefined ? '(none)' : safeText(op.kid)}, hash ${pkt.hash()} (ephemeral key discarded: debugging and interop only)`;
}
