/**
 * OP signing keys: JWKS parsing and lookup (openpubkey `discover/discover.go`), OIDC discovery
 * over HTTPS, and the `KeyFinder` hook through which callers pass trust material in (a live
 * JWKS, a TUF-distributed archive of past keys, a fixed set in tests). This part never imports
 * `policy`: the archive lives there and hands us a `KeyFinder`.
 */
import { isBudgetExceeded } from '../core/deadline.js';
import { CoreError } from '../core/errors.js';
import { httpRequest, redactUrl, type HttpOptions } from '../core/http.js';
import { MAX_JWKS_BYTES, MAX_JWKS_KEYS, MAX_OIDC_RESPONSE_BYTES } from '../core/limits.js';
import { PkTokenError } from './errors.js';
import { parseJsonObject } from './jws.js';
import { isJsonObject } from '../core/guards.js';
import { quote } from '../core/quote.js';
import { isHttpsOrLoopback } from '../core/loopback.js';
import type { JwkInput } from './jwk.js';

/**
 * Finds the OP key for a token. `kid` is the OP header's kid (for GQ256 tokens, the kid of the
 * original header inside the GQ `kid`); `jkt` is the GQ header's RFC 7638 thumbprint when there
 * is one, so an archive can index keys collision-free. Resolves `undefined` when it has no such key;
 * the verifier checks the key's shape and type itself.
 */
export type KeyFinder = (issuer: string, kid: string | undefined, jkt?: string) => Promise<JwkInput | undefined>;

/** A parsed JWK Set. Keys are kept as received; each is checked when it is used. */
export interface Jwks {
  readonly keys: readonly JwkInput[];
}

/**
 * Parses a JWKS document, shape first: at most MAX_JWKS_BYTES, a JSON object whose `keys` is an
 * array of at most MAX_JWKS_KEYS objects, each with a string `kty` and, if present, a string `kid`.
 * @param bytes - the document
 * @param what - names the source in messages
 * @throws PkTokenError PKT_TOO_LARGE | PKT_JWKS_INVALID
 */
export function parseJwks(bytes: Uint8Array | string, what = 'JWKS'): Jwks {
  const raw = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  if (raw.length > MAX_JWKS_BYTES) {
    throw new PkTokenError({
      code: 'PKT_TOO_LARGE',
      message: `${what} is ${raw.length} bytes, over the ${MAX_JWKS_BYTES}-byte limit`,
    });
  }
  const doc = parseJsonObject(raw, what, 'PKT_JWKS_INVALID');
  const { keys } = doc;
  if (!Array.isArray(keys)) throw invalid(`${what} has no "keys" array`);
  if (keys.length > MAX_JWKS_KEYS) throw invalid(`${what} lists ${keys.length} keys, over the ${MAX_JWKS_KEYS} limit`);
  const checked = keys.map((key, i) => {
    if (!isJsonObject(key) || typeof key.kty !== 'string' || (key.kid !== undefined && typeof key.kid !== 'string')) {
      throw invalid(`${what} key ${i} is not an object with a string "kty" (and a string "kid" if any)`);
    }
    return Object.freeze({ ...key });
  });
  return Object.freeze({ keys: Object.freeze(checked) });
}

/**
 * Looks a key up as openpubkey's `ByKeyID` does: the first key whose `kid` equals `kid`; when
 * the token has no kid and the set holds exactly one key, that key.
 * @returns the key, or undefined
 */
export function findJwk(jwks: Jwks, kid: string | undefined): JwkInput | undefined {
  if (kid !== undefined && kid !== '') return jwks.keys.find((k) => k.kid === kid);
  return jwks.keys.length === 1 ? jwks.keys[0] : undefined;
}

/**
 * A KeyFinder over fixed JWK Sets, one per issuer (tests, pinned keys, an archive already loaded).
 * @param byIssuer - issuer URL → its keys
 */
export function jwksKeyFinder(byIssuer: Readonly<Record<string, Jwks>>): KeyFinder {
  return async (issuer, kid) => {
    const jwks = Object.hasOwn(byIssuer, issuer) ? byIssuer[issuer] : undefined;
    return jwks ? findJwk(jwks, kid) : undefined;
  };
}

/** Network tuning of discovery and JWKS fetches. */
export type JwksHttpOptions = Pick<HttpOptions, 'timeoutMs' | 'attempts' | 'totalTimeoutMs' | 'backoffMs' | 'deadline'>;

/**
 * Fetches an issuer's live JWKS through OIDC discovery: `{issuer}/.well-known/openid-configuration`
 * (its `issuer` must equal `issuer`) → `jwks_uri` → the JWKS. HTTPS only, except http on loopback.
 * @param issuer - the issuer URL as in the token's `iss`
 * @param http - retry and timeout tuning
 * @returns the parsed JWKS
 * @throws PkTokenError PKT_JWKS_FETCH_FAILED | PKT_JWKS_INVALID | PKT_TOO_LARGE
 */
export async function fetchJwks(issuer: string, http: JwksHttpOptions = {}): Promise<Jwks> {
  const discoveryUrl = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const who = quote(issuer);
  requireSecure(discoveryUrl, `issuer ${who}`);
  const discovery = parseJsonObject(
    await getBody(discoveryUrl, MAX_OIDC_RESPONSE_BYTES, `${who} discovery`, http),
    `${who} discovery document`,
    'PKT_JWKS_INVALID',
  );
  if (discovery.issuer !== issuer) {
    throw invalid(
      `${who} discovery document names issuer ${quote(discovery.issuer)}; it must equal the token's iss exactly`,
    );
  }
  const jwksUri = discovery.jwks_uri;
  if (typeof jwksUri !== 'string') throw invalid(`${who} discovery document has no string "jwks_uri"`);
  requireSecure(jwksUri, `${who} jwks_uri`);
  return parseJwks(await getBody(jwksUri, MAX_JWKS_BYTES, `${who} JWKS`, http), `${who} JWKS`);
}

/** A KeyFinder that can start fetching an issuer's keys before a token asks for them. */
export type PrefetchingKeyFinder = KeyFinder & {
  /** Starts reading `issuer`'s keys now; a lookup awaits that fetch (one that failed is fetched again). */
  prefetch(issuer: string): void;
};

/**
 * A KeyFinder that reads each issuer's live JWKS by OIDC discovery, once per finder (a verify run).
 * Failed fetches are not cached.
 * @param http - retry and timeout tuning
 */
export function discoveryKeyFinder(http: JwksHttpOptions = {}): PrefetchingKeyFinder {
  const cache = new Map<string, Promise<Jwks>>();
  const load = (issuer: string): Promise<Jwks> => {
    let pending = cache.get(issuer);
    if (!pending) {
      pending = fetchJwks(issuer, http);
      cache.set(issuer, pending);
      pending.catch(() => cache.delete(issuer)); // a failure is reported to the caller; retry next time
    }
    return pending;
  };
  const find: KeyFinder = async (issuer, kid) => findJwk(await load(issuer), kid);
  return Object.assign(find, {
    prefetch: (issuer: string): void => {
      // Only started here: a failure leaves the cache, and the lookup fetches and reports on its own.
      load(issuer).catch(() => undefined);
    },
  });
}

async function getBody(url: string, maxBytes: number, what: string, http: JwksHttpOptions): Promise<Buffer> {
  let res;
  try {
    res = await httpRequest(url, { ...http, maxBytes, what, headers: { accept: 'application/json' } });
  } catch (err) {
    if (isBudgetExceeded(err)) throw err;
    if (err instanceof CoreError && err.code === 'CORE_TOO_LARGE') {
      throw new PkTokenError({
        code: 'PKT_TOO_LARGE',
        cause: err,
        message: `${what} exceeds ${maxBytes} bytes; refusing it`,
      });
    }
    throw new PkTokenError({
      code: 'PKT_JWKS_FETCH_FAILED',
      cause: err,
      message: `${what}: ${(err as Error).message}`,
    });
  }
  if (res.status !== 200) {
    throw new PkTokenError({
      code: 'PKT_JWKS_FETCH_FAILED',
      message: `${what}: ${redactUrl(url)} answered HTTP ${res.status}; check the issuer URL`,
    });
  }
  requireSecure(res.url, `${what} (after redirects)`);
  return res.body;
}

/** https, or http to a loopback address (tests and local OPs). */
function requireSecure(url: string, what: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new PkTokenError({
      code: 'PKT_JWKS_FETCH_FAILED',
      cause: err,
      message: `${what}: ${quote(url)} is not a URL`,
    });
  }
  if (!isHttpsOrLoopback(u)) {
    throw new PkTokenError({
      code: 'PKT_JWKS_FETCH_FAILED',
      message: `${what}: ${redactUrl(url)} is not https; OP keys are fetched over https only (http only on loopback)`,
    });
  }
}

function invalid(message: string): PkTokenError {
  return new PkTokenError({ code: 'PKT_JWKS_INVALID', message });
}
