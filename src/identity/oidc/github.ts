/**
 * GitHub Actions as an OpenPubkey OP (openpubkey `providers/github_actions.go`): the job's OIDC
 * endpoint mints an ID token whose `aud` is the commitment.
 *
 * Two implementations of the same request:
 * - `githubActionsProvider` (the default) talks to the endpoint itself through `core/http.ts`:
 *   retries with backoff and jitter inside a deadline, a capped body, coded errors with hints,
 *   replacing any `audience` already in the URL, no redirects with the request token, no token in
 *   any message, and no dependency on `@actions/core` for CLI users outside Actions.
 * - `actionsCoreGithubProvider` delegates to `@actions/core.getIDToken`, GitHub's own client, and
 *   exists to prove we request exactly what GitHub's toolkit requests; it applies the same checks.
 *   Its limits are why it is not the default: it appends `&audience=` (the URL must already have a
 *   query), retries only 502/503/504, throws plain multi-line errors, and reads `process.env` itself.
 */
import { redactUrl } from '../../core/http.js';
import { quote } from '../../core/quote.js';
import { OidcError } from '../errors.js';
import { GITHUB_COM_SERVER, githubIssuerFor } from './github-issuer.js';
import { checkIdToken } from './id-token.js';
import type { Env, OidcProvider } from './provider.js';
import { jsonObject, oidcRequest, secureUrl, type OidcHttpOptions } from './transport.js';

export { GITHUB_ACTIONS_ISSUER } from './github-issuer.js';

/** Environment variables the runner sets when the job has `permissions: id-token: write`. */
export const REQUEST_URL_VAR = 'ACTIONS_ID_TOKEN_REQUEST_URL';
export const REQUEST_TOKEN_VAR = 'ACTIONS_ID_TOKEN_REQUEST_TOKEN';

/** Registers a value with the workflow log so the runner masks it. */
export type SetSecret = (secret: string) => void | Promise<void>;

/** Options of `githubActionsProvider`. */
export interface GithubActionsOptions {
  /** Where to read ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN and GITHUB_ACTIONS. Default: `process.env`. */
  env?: Env;
  /**
   * Masks the request token and the ID token in the workflow log. Default: `@actions/core.setSecret`
   * (loaded on first use) when `env.GITHUB_ACTIONS === 'true'`, otherwise nothing.
   */
  setSecret?: SetSecret;
  /**
   * Expected `iss`, exactly (an override: the action's `oidc-issuer` input, the CLI's `--issuer`).
   * Default: the issuer of the GitHub server the job runs on (`serverUrl`): GitHub.com's (also with
   * an enterprise slug), `https://token.actions.<sub>.ghe.com`, or GHES's `https://<host>/_services/token`.
   */
  issuer?: string;
  /**
   * The GitHub server the job runs on; without `issuer`, the token's `iss` must fit it (GitHub.com:
   * with or without an enterprise slug). Default: `env.GITHUB_SERVER_URL`, else https://github.com.
   */
  serverUrl?: string;
  /** Retry and timeout tuning. */
  http?: OidcHttpOptions;
}

const WHAT = 'GitHub Actions OIDC';
const PERMISSION_HINT =
  'give the job `permissions: id-token: write` (and for pull requests from forks, no token is issued)';

function readVar(env: Env, name: string): string {
  const value = env[name];
  if (!value) {
    throw new OidcError({ code: 'OIDC_NOT_CONFIGURED', message: `${WHAT}: ${name} is not set; ${PERMISSION_HINT}` });
  }
  return value;
}

/** `@actions/core.setSecret`, imported lazily so the library does not load it outside Actions. */
async function actionsSetSecret(secret: string): Promise<void> {
  const { setSecret } = await import('./actions-mask.js');
  setSecret(secret);
}

/** How a provider checks the token's `iss`: exactly the configured issuer, or whatever fits the server. */
interface IssuerCheck {
  /** The issuer the tokens are expected to carry (GitHub.com: the form without a slug). */
  issuer: string;
  /** Throws OIDC_TOKEN_INVALID unless `iss` is acceptable. */
  check(iss: unknown): void;
}

function issuerCheck(options: { issuer?: string; serverUrl?: string }, env: Env): IssuerCheck {
  const what = `${WHAT} token`;
  if (options.issuer !== undefined) {
    const issuer = options.issuer;
    return {
      issuer,
      check(iss) {
        if (iss === issuer) return;
        throw new OidcError({
          code: 'OIDC_TOKEN_INVALID',
          message: `${what}: iss ${quote(iss, 100)} is not the configured issuer ${issuer}; set the oidc-issuer input (CLI: --issuer) to your GitHub's issuer, or leave it unset to derive it from GITHUB_SERVER_URL`,
        });
      },
    };
  }
  const fromEnv = options.serverUrl === undefined ? env.GITHUB_SERVER_URL : undefined;
  const expected = githubIssuerFor(options.serverUrl ?? (fromEnv || GITHUB_COM_SERVER));
  return {
    issuer: expected.issuer,
    check(iss) {
      if (expected.fits(iss)) return;
      throw new OidcError({
        code: 'OIDC_TOKEN_INVALID',
        message: `${what}: iss ${quote(iss, 100)} does not fit GITHUB_SERVER_URL ${expected.serverUrl} (expected ${expected.described}); if your GitHub uses another issuer, set the oidc-issuer input (CLI: --issuer)`,
      });
    },
  };
}

function defaultSetSecret(env: Env): SetSecret | undefined {
  return env.GITHUB_ACTIONS === 'true' ? actionsSetSecret : undefined;
}

function statusHint(status: number, attempts: number | undefined): string {
  if (status === 401 || status === 403)
    return `the request token was refused; ${PERMISSION_HINT}, and request the token while the job runs`;
  if (status >= 300 && status < 400)
    return `the endpoint redirected; not following it with the request token, check ${REQUEST_URL_VAR}`;
  if (status >= 500) return `the service kept failing (${attempts ?? 'default'} attempts); re-run the job later`;
  return `check ${REQUEST_URL_VAR} and the audience`;
}

/**
 * The GitHub Actions provider that requests the token itself (the default).
 * Reads the environment once, here; masks both tokens before use when running in Actions.
 * @param options - env (default `process.env`), setSecret, issuer or serverUrl, http tuning
 * @returns a provider with `commitmentClaim: 'aud'`
 * @throws OidcError OIDC_NOT_CONFIGURED (variables missing, the URL is not https, or GITHUB_SERVER_URL
 *   is not a server URL); its requestIdToken throws OIDC_TOKEN_INVALID for a token whose `iss`
 *   does not fit the server (or is not `issuer`)
 */
export function githubActionsProvider(options: GithubActionsOptions = {}): OidcProvider {
  const env = options.env ?? process.env;
  const requestUrl = secureUrl(readVar(env, REQUEST_URL_VAR), REQUEST_URL_VAR);
  const requestToken = readVar(env, REQUEST_TOKEN_VAR);
  const setSecret = options.setSecret ?? defaultSetSecret(env);
  const issuer = issuerCheck(options, env);
  let requestTokenMasked = false;

  async function requestIdToken(commitment: string): Promise<string> {
    if (!requestTokenMasked) await setSecret?.(requestToken); // before its first use; once is enough
    requestTokenMasked = true;
    const url = new URL(requestUrl);
    url.searchParams.set('audience', commitment); // replaces any audience already there, keeps api-version
    const what = `${WHAT} GET ${redactUrl(url.href)}`;
    const res = await oidcRequest(url, {
      what,
      ...options.http,
      headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' },
    });
    if (res.status !== 200) {
      throw new OidcError({
        code: 'OIDC_REQUEST_FAILED',
        message: `${what}: HTTP ${res.status}; ${statusHint(res.status, options.http?.attempts)}`,
      });
    }
    const body = jsonObject(res, what);
    if (
      typeof body.value !== 'string' ||
      body.value === '' ||
      (body.count !== undefined && typeof body.count !== 'number')
    ) {
      throw new OidcError({
        code: 'OIDC_BAD_RESPONSE',
        message: `${what}: response has no string "value"; check ${REQUEST_URL_VAR} points at the runtime's idtoken endpoint`,
      });
    }
    await setSecret?.(body.value); // masked before anything else can print it
    const { payload } = checkIdToken(body.value, { what: `${WHAT} token`, commitmentClaim: 'aud', commitment });
    issuer.check(payload.iss);
    return body.value;
  }

  return {
    name: 'github-actions',
    issuer: issuer.issuer,
    commitmentClaim: 'aud',
    requestIdToken,
  };
}

/** Options of `actionsCoreGithubProvider`. */
export interface ActionsCoreOptions {
  /** GitHub's client; default `@actions/core.getIDToken`, which reads `process.env` and masks the token itself. */
  getIDToken?: (audience: string) => Promise<string>;
  /** Checked for the two variables before calling; default `process.env` (what `@actions/core` reads). */
  env?: Env;
  /** Expected `iss`, exactly. Default: derived from `serverUrl` as `githubActionsProvider` does. */
  issuer?: string;
  /** The GitHub server the job runs on. Default: `env.GITHUB_SERVER_URL`, else https://github.com. */
  serverUrl?: string;
}

async function coreGetIDToken(audience: string): Promise<string> {
  const { getIDToken } = await import('./actions-id-token.js');
  return getIDToken(audience);
}

/**
 * The GitHub Actions provider that delegates to `@actions/core.getIDToken` (compatibility adapter).
 * @param options - getIDToken, env (default `process.env`), issuer
 * @returns a provider with `commitmentClaim: 'aud'`
 * @throws OidcError OIDC_NOT_CONFIGURED (variables missing; only when `getIDToken` is not supplied)
 */
export function actionsCoreGithubProvider(options: ActionsCoreOptions = {}): OidcProvider {
  const env = options.env ?? process.env;
  if (!options.getIDToken) {
    secureUrl(readVar(env, REQUEST_URL_VAR), REQUEST_URL_VAR);
    readVar(env, REQUEST_TOKEN_VAR);
  }
  const getIDToken = options.getIDToken ?? coreGetIDToken;
  const issuer = issuerCheck(options, env);
  const what = `${WHAT} (@actions/core.getIDToken)`;

  async function requestIdToken(commitment: string): Promise<string> {
    let token: string;
    try {
      token = await getIDToken(commitment);
    } catch (err) {
      // @actions/core throws plain multi-line Errors; keep the status, keep the original as cause.
      const status = /Error Code\s*:\s*(\d{3})/.exec(String((err as Error)?.message))?.[1];
      const hint = status
        ? `HTTP ${status}; ${statusHint(Number(status), undefined)}`
        : `see the cause; ${PERMISSION_HINT}`;
      throw new OidcError({ code: 'OIDC_REQUEST_FAILED', cause: err, message: `${what}: request failed, ${hint}` });
    }
    if (typeof token !== 'string' || token === '') {
      throw new OidcError({ code: 'OIDC_BAD_RESPONSE', message: `${what}: returned no token` });
    }
    const { payload } = checkIdToken(token, { what: `${WHAT} token`, commitmentClaim: 'aud', commitment });
    issuer.check(payload.iss);
    return token;
  }

  return { name: 'github-actions-core', issuer: issuer.issuer, commitmentClaim: 'aud', requestIdToken };
}
