/**
 * The OIDC provider flags shared by the commands that obtain a PK token (`sign`, `pktoken issue`).
 * The client secret is only ever read from an environment variable, never from a flag value.
 */
import {
  clientCredentialsProvider,
  githubActionsProvider,
  staticTokenProvider,
  type CommitmentClaim,
  type OidcHttpOptions,
  type OidcProvider,
} from '../identity/index.js';
import { oneOf, required, UsageError } from './args.js';

/** The `parseArgs` options of a provider. */
export const PROVIDER_OPTIONS = {
  provider: { type: 'string' },
  issuer: { type: 'string' },
  'token-file': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-env': { type: 'string' },
  'commitment-claim': { type: 'string' },
} as const;

/** Usage lines of PROVIDER_OPTIONS. */
export const PROVIDER_USAGE = `  --provider NAME            github (default): the GitHub Actions job's OIDC endpoint
                               (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN; needs permissions: id-token: write)
                             file: an ID token read from --token-file once the commitment is
                               announced on stderr (use a named pipe, written after that line)
                             client-credentials: OAuth 2.0 client credentials at --issuer
  --issuer URL               expected issuer (github: default the issuer of GITHUB_SERVER_URL's GitHub:
                               https://token.actions.githubusercontent.com[/<enterprise-slug>],
                               https://token.actions.<sub>.ghe.com, https://<host>/_services/token on GHES;
                               required for client-credentials)
  --token-file PATH          file: where the ID token is read from
  --client-id ID             client-credentials: the client id
  --client-secret-env NAME   client-credentials: the environment variable holding the secret
  --commitment-claim aud|nonce
                             file, client-credentials: where the commitment goes (default aud;
                               github always uses aud)
`;

type ProviderValues = { [K in keyof typeof PROVIDER_OPTIONS]?: string };

const PROVIDERS = ['github', 'file', 'client-credentials'] as const;
type ProviderName = (typeof PROVIDERS)[number];

/** Options that configure a provider; each provider accepts only its own (anything else is a mistake). */
const PROVIDER_SPECIFIC = ['issuer', 'token-file', 'client-id', 'client-secret-env', 'commitment-claim'] as const;
const ACCEPTED: Record<ProviderName, readonly (typeof PROVIDER_SPECIFIC)[number][]> = {
  github: ['issuer'],
  file: ['issuer', 'token-file', 'commitment-claim'],
  'client-credentials': ['issuer', 'client-id', 'client-secret-env', 'commitment-claim'],
};

/**
 * Masks a secret in the workflow log with a workflow command on stderr. The runner reads workflow
 * commands on both streams, and the CLI's stdout carries its data (`--json`), which a command line
 * there would corrupt.
 */
function maskOnStderr(secret: string): void {
  const data = secret.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
  process.stderr.write(`::add-mask::${data}\n`);
}

/**
 * The provider the flags describe.
 * @param http - network tuning of its endpoint (the command's deadline)
 * @throws UsageError CLI_USAGE for flags that do not fit the provider or are missing
 */
export function providerFromFlags(v: ProviderValues, http: OidcHttpOptions = {}): OidcProvider {
  const name = oneOf(v.provider ?? 'github', '--provider', PROVIDERS);
  for (const option of PROVIDER_SPECIFIC) {
    if (v[option] !== undefined && !ACCEPTED[name].includes(option)) {
      throw new UsageError(`--${option} does not apply to --provider ${name}`);
    }
  }
  const claim: CommitmentClaim = oneOf(v['commitment-claim'] ?? 'aud', '--commitment-claim', ['aud', 'nonce']);
  if (name === 'github') {
    return githubActionsProvider({
      http,
      ...(process.env.GITHUB_ACTIONS === 'true' ? { setSecret: maskOnStderr } : {}),
      ...(v.issuer === undefined ? {} : { issuer: v.issuer }),
    });
  }
  if (name === 'file') {
    return staticTokenProvider({
      source: { file: required(v['token-file'], '--token-file PATH') },
      commitmentClaim: claim,
      issuer: v.issuer,
    });
  }
  return clientCredentialsProvider({
    issuer: required(v.issuer, '--issuer URL'),
    clientId: required(v['client-id'], '--client-id ID'),
    clientSecret: secretFromEnv(required(v['client-secret-env'], '--client-secret-env NAME')),
    commitmentClaim: claim,
    http,
  });
}

function secretFromEnv(name: string): string {
  const secret = process.env[name];
  if (!secret) throw new UsageError(`environment variable ${name} (named by --client-secret-env) is not set or empty`);
  return secret;
}

/**
 * The provider, announcing on stderr the commitment a file provider waits for: whoever writes the
 * token file needs it to request the token (other providers request it themselves).
 * @param command - the command named in the line, e.g. `sign`
 */
export function announcingProvider(
  provider: OidcProvider,
  command: string,
  tokenFile: string | undefined,
): OidcProvider {
  if (provider.name !== 'static-token') return provider;
  return {
    ...provider,
    requestIdToken(commitment) {
      process.stderr.write(
        `opk-attest ${command}: commitment ${commitment}; waiting for an ID token with it as "${provider.commitmentClaim}" in ${tokenFile}\n`,
      );
      return provider.requestIdToken(commitment);
    },
  };
}
