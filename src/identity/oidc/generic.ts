/**
 * OIDC providers for on-prem issuers and CI systems other than GitHub Actions.
 *
 * - `staticTokenProvider`: the ID token was obtained by someone else (a CI plugin, a script) and is
 *   handed over in an environment variable or a file. That party must have requested it with the
 *   commitment as audience or nonce, so the token is read only when the core asks for it (after it
 *   has published the commitment), and the claim is checked against the commitment after the fact.
 * - `clientCredentialsProvider`: OAuth 2.0 client credentials (RFC 6749 §4.4) at the issuer's
 *   token endpoint (found by OpenID discovery), with the commitment sent as `audience`, as an
 *   RFC 8707 `resource` the issuer maps to `aud`, or as `nonce`: whatever the issuer supports.
 */
import { open } from 'node:fs/promises';
import { b64Encode } from '../../core/b64.js';
import { redactUrl } from '../../core/http.js';
import { MAX_OIDC_RESPONSE_BYTES } from '../../core/limits.js';
import { OidcError } from '../errors.js';
import { checkIdToken, decodeIdToken } from './id-token.js';
import type { CommitmentClaim, Env, OidcProvider } from './provider.js';
import { jsonObject, oidcRequest, secureUrl, type OidcHttpOptions } from './transport.js';

/** Options of `staticTokenProvider`. */
export interface StaticTokenOptions {
  /** Where the token is: the name of an environment variable, or a file path. */
  source: { env: string } | { file: string };
  /** Which claim the party that obtained the token put the commitment in. */
  commitmentClaim: CommitmentClaim;
  /** Expected `iss`, when known. */
  issuer?: string;
  /** Environment for `source.env`. Default: `process.env`. */
  env?: Env;
}

async function readBoundedFile(path: string, maxBytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(maxBytes + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, total, buf.length - total, null);
      if (bytesRead === 0) return buf.subarray(0, total);
      total += bytesRead;
      if (total > maxBytes) {
        throw new OidcError({
          code: 'OIDC_TOKEN_INVALID',
          message: `ID token file ${path}: larger than ${maxBytes} bytes; it does not hold a single JWT`,
        });
      }
    }
  } finally {
    await fh.close();
  }
}

async function readStaticToken(opts: StaticTokenOptions): Promise<{ raw: string; what: string }> {
  if ('env' in opts.source) {
    const name = opts.source.env;
    const value = (opts.env ?? process.env)[name];
    if (!value) {
      throw new OidcError({
        code: 'OIDC_NOT_CONFIGURED',
        message: `ID token variable ${name} is not set; obtain a token with the commitment as its ${opts.commitmentClaim === 'aud' ? 'audience' : 'nonce'} and put it there`,
      });
    }
    return { raw: value.trim(), what: `ID token from $${name}` };
  }
  const path = opts.source.file;
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(path, MAX_OIDC_RESPONSE_BYTES);
  } catch (err) {
    if (err instanceof OidcError) throw err;
    throw new OidcError({
      code: 'OIDC_NOT_CONFIGURED',
      cause: err,
      message: `ID token file ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); write the token there before signing`,
    });
  }
  return { raw: bytes.toString('utf8').trim(), what: `ID token from file ${path}` };
}

/**
 * A provider that returns a token obtained elsewhere, read from an environment variable or a file
 * when `requestIdToken` is called. It cannot request anything: the token must already carry the
 * commitment; a token for another commitment fails with OIDC_TOKEN_INVALID naming the claim.
 * @param options - source, commitmentClaim, issuer, env (default `process.env`)
 * @returns a provider with the given commitment claim
 * @throws OidcError (from requestIdToken) OIDC_NOT_CONFIGURED | OIDC_TOKEN_INVALID
 */
export function staticTokenProvider(options: StaticTokenOptions): OidcProvider {
  async function requestIdToken(commitment: string): Promise<string> {
    const { raw, what } = await readStaticToken(options);
    checkIdToken(raw, { what, commitmentClaim: options.commitmentClaim, commitment, issuer: options.issuer });
    return raw;
  }
  return { name: 'static-token', issuer: options.issuer, commitmentClaim: options.commitmentClaim, requestIdToken };
}

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1, OIDC Core §9). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** Options of `clientCredentialsProvider`. */
export interface ClientCredentialsOptions {
  /** The issuer URL; discovery is `{issuer}/.well-known/openid-configuration`. https unless loopback. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Default `client_secret_basic` (the method every server must support). */
  authMethod?: ClientAuthMethod;
  /** Where the issuer puts the commitment. Default `aud`. */
  commitmentClaim?: CommitmentClaim;
  /**
   * The form parameter carrying the commitment. Default `audience` for `aud`, `nonce` for `nonce`.
   * Use `resource` for RFC 8707 issuers that map a resource indicator to the audience.
   */
  commitmentParameter?: string;
  /** Put before the commitment in that parameter, e.g. `urn:aud:` when `resource` must be an absolute URI. */
  commitmentPrefix?: string;
  /** Optional `scope` parameter. */
  scope?: string;
  /** Skips discovery. https unless loopback. */
  tokenEndpoint?: string;
  /** Retry and timeout tuning (token requests are retried on 5xx: each attempt just mints a token). */
  http?: OidcHttpOptions;
}

const RESERVED_PARAMETERS = new Set(['grant_type', 'client_id', 'client_secret', 'scope']);
/** RFC 6749 §5.2: `error` is a short code of these characters; anything else is not repeated. */
const OAUTH_ERROR_CODE = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

function stripSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** The token endpoint and the issuer exactly as the OP names itself (tokens carry that `iss`). */
interface Endpoint {
  url: URL;
  issuer: string;
}

async function discoverTokenEndpoint(issuer: string, http: OidcHttpOptions | undefined): Promise<Endpoint> {
  const url = secureUrl(`${stripSlash(issuer)}/.well-known/openid-configuration`, 'issuer');
  const what = `OIDC discovery ${redactUrl(url.href)}`;
  const res = await oidcRequest(url, { what, ...http, headers: { accept: 'application/json' } });
  if (res.status !== 200) {
    throw new OidcError({
      code: 'OIDC_REQUEST_FAILED',
      message: `${what}: HTTP ${res.status}; check the issuer URL, or set tokenEndpoint to skip discovery`,
    });
  }
  const doc = jsonObject(res, what);
  if (typeof doc.issuer !== 'string' || stripSlash(doc.issuer) !== stripSlash(issuer)) {
    throw new OidcError({
      code: 'OIDC_BAD_RESPONSE',
      message: `${what}: document names issuer ${JSON.stringify(doc.issuer)}, not ${issuer}; configure the issuer exactly as the OP names itself`,
    });
  }
  if (typeof doc.token_endpoint !== 'string') {
    throw new OidcError({
      code: 'OIDC_BAD_RESPONSE',
      message: `${what}: no token_endpoint; the issuer does not offer a token endpoint, set tokenEndpoint`,
    });
  }
  return { url: secureUrl(doc.token_endpoint, `token_endpoint of ${issuer}`), issuer: doc.issuer };
}

function tokenRequestFailed(what: string, status: number, body: Record<string, unknown> | undefined): OidcError {
  const error = typeof body?.error === 'string' && OAUTH_ERROR_CODE.test(body.error) ? body.error : undefined;
  const hint =
    status === 401 || error === 'invalid_client'
      ? 'check the client id, the secret and authMethod'
      : error === 'invalid_target'
        ? 'the issuer refused the resource; check commitmentParameter and commitmentPrefix'
        : 'check that the client may use the client_credentials grant with this parameter';
  return new OidcError({
    code: 'OIDC_REQUEST_FAILED',
    message: `${what}: HTTP ${status}${error ? ` (${error})` : ''}; ${hint}`,
  });
}

/** id_token when present, else a JWT access token (RFC 9068), else nothing usable. */
function pickToken(body: Record<string, unknown>, what: string): string {
  if (typeof body.id_token === 'string' && body.id_token !== '') return body.id_token;
  if (typeof body.access_token === 'string') {
    try {
      decodeIdToken(body.access_token, what);
      return body.access_token;
    } catch {
      // an opaque access token: fall through to the error that says what to configure
    }
  }
  throw new OidcError({
    code: 'OIDC_BAD_RESPONSE',
    message: `${what}: response has no id_token and no JWT access_token; configure the issuer to return a JWT for this client`,
  });
}

/**
 * A provider that obtains a token with the OAuth 2.0 client credentials grant.
 * The token endpoint is discovered once and reused.
 * @param options - issuer, client id and secret, auth method, commitment claim and parameter
 * @returns a provider whose `issuer` is `options.issuer`
 * @throws OidcError OIDC_NOT_CONFIGURED (bad URL or reserved parameter); from requestIdToken also
 *   OIDC_REQUEST_FAILED | OIDC_BAD_RESPONSE | OIDC_TOKEN_INVALID
 */
export function clientCredentialsProvider(options: ClientCredentialsOptions): OidcProvider {
  const commitmentClaim = options.commitmentClaim ?? 'aud';
  const parameter = options.commitmentParameter ?? (commitmentClaim === 'aud' ? 'audience' : 'nonce');
  if (RESERVED_PARAMETERS.has(parameter)) {
    throw new OidcError({
      code: 'OIDC_NOT_CONFIGURED',
      message: `commitmentParameter "${parameter}" is a reserved OAuth parameter; use audience, resource or nonce`,
    });
  }
  secureUrl(options.issuer, 'issuer');
  const fixed =
    options.tokenEndpoint === undefined
      ? undefined
      : { url: secureUrl(options.tokenEndpoint, 'tokenEndpoint'), issuer: options.issuer };
  let endpoint: Promise<Endpoint> | undefined;

  async function requestIdToken(commitment: string): Promise<string> {
    endpoint ??= fixed ? Promise.resolve(fixed) : discoverTokenEndpoint(options.issuer, options.http);
    // a failed discovery is not cached, so the next call tries again
    const { url, issuer } = await endpoint.catch((err: unknown) => {
      endpoint = undefined;
      throw err;
    });
    const what = `OIDC token request POST ${redactUrl(url.href)}`;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scope) form.set('scope', options.scope);
    form.set(parameter, `${options.commitmentPrefix ?? ''}${commitment}`);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if ((options.authMethod ?? 'client_secret_basic') === 'client_secret_basic') {
      headers.authorization = `Basic ${b64Encode(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`)}`;
    } else {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    }
    const res = await oidcRequest(url, { what, ...options.http, method: 'POST', headers, body: form.toString() });
    if (res.status !== 200) {
      let body: Record<string, unknown> | undefined;
      try {
        body = jsonObject(res, what);
      } catch {
        // error bodies that are not JSON carry nothing we repeat
      }
      throw tokenRequestFailed(what, res.status, body);
    }
    const token = pickToken(jsonObject(res, what), what);
    checkIdToken(token, { what: `token from ${issuer}`, commitmentClaim, commitment, issuer });
    return token;
  }

  return { name: 'client-credentials', issuer: options.issuer, commitmentClaim, requestIdToken };
}
