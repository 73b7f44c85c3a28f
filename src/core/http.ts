/**
 * The project's one HTTP primitive: bounded body reads, timeouts, and retries with
 * exponential backoff and jitter on 408/429/5xx and dropped connections, honouring
 * `Retry-After`, inside a bounded total time and the command's overall `Deadline`. Part-specific clients (OIDC, Rekor, OCI,
 * TUF) sit on top and turn statuses into their own coded errors.
 *
 * Every exchange goes through Node's own `http`/`https` clients: they cost a fraction of
 * `fetch`'s CPU per request and load nothing, where a bundled undici took ~100 ms to load and
 * Node's `fetch` compiles its WebAssembly HTTP parser on first use (~30 MB of RSS for a moment).
 * Redirects follow `fetch`'s rules: a 3xx is returned under `manual`, is a failed exchange under
 * `error`, and is followed under `follow` (the default).
 */
import { request as plainRequest, type IncomingMessage } from 'node:http';
import { request as tlsRequest, type Agent } from 'node:https';
import type { Deadline } from './deadline.js';
import { CoreError } from './errors.js';
import { MAX_ERROR_BODY_BYTES } from './limits.js';
import { backoffMs, sleep } from './backoff.js';

/** Options of one HTTP exchange; every field has a default resolved in `resolve()`. */
export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Cap on the response body; past it the read fails with CORE_TOO_LARGE. */
  maxBytes?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Attempts in all (1 = no retry). */
  attempts?: number;
  /** Upper bound on the whole exchange including backoff. */
  totalTimeoutMs?: number;
  /** Base of the exponential backoff. */
  backoffMs?: number;
  /** `manual` lets the caller decide what crosses origins (credentials on redirects). */
  redirect?: 'follow' | 'manual' | 'error';
  /** Statuses that are final even though they would normally be retried. */
  noRetryStatuses?: number[];
  /** A label for errors, e.g. "Rekor POST /api/v1/log/entries"; defaults to method and redacted URL. */
  what?: string;
  /** An `https.Agent` (e.g. one trusting an extra CA) for https exchanges; default: Node's global agent. */
  agent?: Agent;
  /** The command's overall time budget; every attempt and retry spends from it. */
  deadline?: Deadline;
}

/**
 * Response headers by lower-case name, read like fetch's `Headers`: `get` joins repeated names
 * with ", ". Our own because the global `Headers` loads Node's bundled undici on first use
 * (~20 ms of a short process) and validates every value again.
 */
export class ResponseHeaders {
  readonly #values = new Map<string, string>();

  /** @param raw - Node's `rawHeaders`: name, value, name, value … in order */
  constructor(raw: readonly string[] = []) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const had = this.#values.get(name);
      this.#values.set(name, had === undefined ? raw[i + 1]! : `${had}, ${raw[i + 1]!}`);
    }
  }

  /** The value of `name` (any case), or null when absent. */
  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }
}

/** A fully read response. */
export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  body: Buffer;
  url: string;
}

const RETRIABLE = new Set([408, 425, 429, 500, 502, 503, 504]);
/** The statuses fetch treats as redirects (Fetch standard "redirect status"). */
const REDIRECT = new Set([301, 302, 303, 307, 308]);
/** Hops followed under `follow` (fetch's limit). */
const MAX_REDIRECTS = 20;

/** One attempt's answer, headers received, body not yet read. */
interface Answer {
  status: number;
  headers: ResponseHeaders;
  url: string;
  /** Reads the body under a cap (CORE_TOO_LARGE past it). */
  read(maxBytes: number): Promise<Buffer>;
  /** Drops the body unread. */
  discard(): Promise<void>;
}

/** A URL for messages: no query string or credentials, which may carry signed tokens. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<unparseable URL>';
  }
}

/**
 * Performs one HTTP exchange with retries and reads the body under a cap.
 * Non-2xx statuses are returned, not thrown: callers map them to their own codes.
 * With a `deadline`, every attempt (headers and body) ends when the budget does, and a retry
 * whose backoff would not fit is not started.
 * @throws CoreError CORE_HTTP_ERROR (connection failed after all attempts) | CORE_HTTP_TIMEOUT | CORE_TOO_LARGE |
 *   CORE_BUDGET_EXCEEDED (the deadline ran out; clients pass it on unwrapped)
 */
export async function httpRequest(url: string, options: HttpOptions = {}): Promise<HttpResponse> {
  const o = resolve(url, options);
  const budget = o.deadline;
  const totalEnd = Date.now() + o.totalTimeoutMs;
  let lastError: unknown;
  let outcome = '';
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    budget?.check(o.what);
    const remaining = totalEnd - Date.now();
    if (remaining <= 0) break;
    let retryAfter: string | null | undefined;
    // One timer per attempt, covering headers and body, cleared as soon as the body is read
    // (AbortSignal.timeout would keep every request's timer alive for the whole timeout).
    // When the command's budget is what ends the attempt, the error says so.
    const left = budget?.remainingMs() ?? Infinity;
    const byBudget = left < Math.min(o.timeoutMs, remaining);
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException(`${o.what} timed out`, 'TimeoutError')),
      Math.min(o.timeoutMs, remaining, left),
    );
    try {
      const res = await send(url, o, timeout.signal);
      const retriable = RETRIABLE.has(res.status) && !o.noRetryStatuses.includes(res.status);
      if (retriable && attempt < o.attempts) {
        await res.discard();
        retryAfter = res.headers.get('retry-after');
        outcome = `after HTTP ${res.status}`;
      } else {
        const ok = res.status >= 200 && res.status < 300;
        const limit = ok ? o.maxBytes : Math.min(o.maxBytes, MAX_ERROR_BODY_BYTES);
        return { status: res.status, headers: res.headers, body: await res.read(limit), url: res.url };
      }
    } catch (err) {
      if (err instanceof CoreError) throw err;
      if (budget && byBudget && timeout.signal.aborted) throw budget.exceeded(o.what, `during attempt ${attempt}`);
      lastError = err;
      retryAfter = null;
      outcome = `after ${describe(err)}`;
    } finally {
      clearTimeout(timer);
    }
    if (attempt < o.attempts) {
      const wait = backoff(o.backoffMs, attempt, retryAfter ?? null);
      // A retry that cannot fit in the budget is not started: say so now rather than sleep into it.
      if (budget && wait >= budget.remainingMs()) {
        throw budget.exceeded(o.what, `${outcome}: retry ${attempt + 1} would start after the budget ends`);
      }
      await sleepUntil(wait, totalEnd);
    }
  }
  const timedOut = (lastError as Error | undefined)?.name === 'TimeoutError' || Date.now() >= totalEnd;
  throw new CoreError({
    code: timedOut ? 'CORE_HTTP_TIMEOUT' : 'CORE_HTTP_ERROR',
    cause: lastError,
    message: `${o.what}: ${timedOut ? 'timed out' : `connection failed (${describe(lastError)})`} after ${o.attempts} attempt(s); check that the server is reachable`,
  });
}

/**
 * Reads a response body, failing (not truncating) once it exceeds `maxBytes`.
 * @throws CoreError CORE_TOO_LARGE
 */
export async function readAtMost(res: Response, maxBytes: number, what = redactUrl(res.url)): Promise<Buffer> {
  return readBody(
    res.body as unknown as AsyncIterable<Uint8Array> | null,
    res.headers.get('content-length'),
    maxBytes,
    what,
    async () => {
      await res.body?.cancel();
    },
  );
}

async function readBody(
  body: AsyncIterable<Uint8Array> | null,
  contentLength: string | null,
  maxBytes: number,
  what: string,
  discard: () => Promise<void>,
): Promise<Buffer> {
  const declared = Number(contentLength ?? NaN);
  if (declared > maxBytes) {
    await discard();
    throw tooLarge(what, maxBytes);
  }
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop early (past the cap, or an error) destroys the stream and its connection.
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(what, maxBytes);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total);
}

/**
 * One attempt, redirects included: under `follow` up to MAX_REDIRECTS hops with fetch's rules
 * (303, and 301/302 after a POST, become a GET without body; credentials do not cross origins).
 */
async function send(url: string, o: ReturnType<typeof resolve>, signal: AbortSignal): Promise<Answer> {
  let hop = { url, method: o.method, headers: o.headers, body: o.body === undefined ? undefined : Buffer.from(o.body) };
  for (let hops = 0; ; hops++) {
    const res = await nodeRequest(hop.url, { ...o, ...hop }, signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (o.redirect === 'error' && REDIRECT.has(status)) {
      res.destroy();
      // What fetch does with redirect "error": the exchange fails like a dropped connection.
      throw new TypeError('unexpected redirect');
    }
    if (o.redirect === 'manual' || !REDIRECT.has(status) || location === undefined)
      return answer(res, hop.url, o, signal);
    res.destroy();
    if (hops >= MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects`);
    hop = redirected(hop, status, new URL(location, hop.url));
  }
}

/** The next hop of a redirect (Fetch standard, "HTTP-redirect fetch"). */
function redirected<H extends { url: string; method: string; headers: Record<string, string>; body?: Buffer }>(
  hop: H,
  status: number,
  next: URL,
): H {
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new TypeError(`redirect to ${next.protocol}`);
  const toGet =
    (status === 303 && hop.method !== 'GET' && hop.method !== 'HEAD') || (status < 303 && hop.method === 'POST');
  const crossOrigin = next.origin !== new URL(hop.url).origin;
  const headers = Object.fromEntries(
    Object.entries(hop.headers).filter(([k]) => {
      const name = k.toLowerCase();
      if (crossOrigin && (name === 'authorization' || name === 'cookie')) return false;
      return !(toGet && (name === 'content-type' || name === 'content-length'));
    }),
  );
  return { ...hop, url: next.href, method: toGet ? 'GET' : hop.method, headers, body: toGet ? undefined : hop.body };
}

/** The answer of a response whose headers are in. */
function answer(res: IncomingMessage, url: string, o: ReturnType<typeof resolve>, signal: AbortSignal): Answer {
  // A body read that the timer or the deadline ends fails with their reason, as fetch's would.
  const settled = (err: unknown): unknown => (signal.aborted ? signal.reason : err);
  const discard = async (): Promise<void> => {
    res.destroy();
  };
  const headers = new ResponseHeaders(res.rawHeaders);
  return {
    status: res.statusCode ?? 0,
    headers,
    url,
    read: (maxBytes) =>
      readBody(res, headers.get('content-length'), maxBytes, o.what, discard).catch((err: unknown) => {
        throw settled(err);
      }),
    discard,
  };
}

/** Sends one request with Node's client; resolves once the headers are in. */
function nodeRequest(
  url: string,
  o: ReturnType<typeof resolve> & { body?: Buffer },
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const target = new URL(url);
  const tls = target.protocol === 'https:';
  if (!tls && target.protocol !== 'http:')
    return Promise.reject(new TypeError(`${o.what}: unsupported protocol ${target.protocol}`));
  const headers: Record<string, string> = { ...o.headers };
  if (o.body !== undefined) headers['content-length'] = String(o.body.length);
  return new Promise((resolveAnswer, reject) => {
    const options = { method: o.method, headers, ...(tls && o.agent !== undefined ? { agent: o.agent } : {}) };
    const req = tls ? tlsRequest(target, options) : plainRequest(target, options);
    // Ending the request with the abort reason keeps it: a timeout stays a TimeoutError.
    const abort = (): void => {
      req.destroy(signal.reason as Error);
    };
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    req.once('response', (res) => {
      res.once('close', () => signal.removeEventListener('abort', abort));
      resolveAnswer(res);
    });
    req.once('error', (err) => {
      signal.removeEventListener('abort', abort);
      reject(err);
    });
    req.end(o.body);
  });
}

/**
 * Parses a JSON body, naming the source on failure (a 200 with an HTML page is common behind proxies).
 * @throws CoreError CORE_JSON_INVALID
 */
export function parseJsonBody(body: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    const start = Buffer.from(body.subarray(0, 40)).toString('utf8').replace(/\s+/g, ' ');
    throw new CoreError({
      code: 'CORE_JSON_INVALID',
      cause: err,
      message: `${what}: response is not JSON (starts with ${JSON.stringify(start)}); check the URL points at the API, not a web page`,
    });
  }
}

function tooLarge(what: string, maxBytes: number): CoreError {
  return new CoreError({
    code: 'CORE_TOO_LARGE',
    message: `${what}: response exceeds the ${maxBytes}-byte limit; refusing to read more`,
  });
}

function resolve(
  url: string,
  o: HttpOptions,
): Required<Omit<HttpOptions, 'body' | 'agent' | 'deadline'>> & Pick<HttpOptions, 'body' | 'agent' | 'deadline'> {
  const method = o.method ?? 'GET';
  return {
    method,
    headers: o.headers ?? {},
    body: o.body,
    maxBytes: o.maxBytes ?? 1024 * 1024,
    timeoutMs: o.timeoutMs ?? 30_000,
    attempts: o.attempts ?? 4,
    totalTimeoutMs: o.totalTimeoutMs ?? 120_000,
    backoffMs: o.backoffMs ?? 250,
    redirect: o.redirect ?? 'follow',
    noRetryStatuses: o.noRetryStatuses ?? [],
    what: o.what ?? `${method} ${redactUrl(url)}`,
    agent: o.agent,
    deadline: o.deadline,
  };
}

/** Exponential backoff with full jitter; `Retry-After` (seconds or HTTP date) wins when larger. */
function backoff(baseMs: number, attempt: number, retryAfter: string | null): number {
  const jittered = backoffMs(baseMs, attempt);
  if (retryAfter === null) return jittered;
  const seconds = Number(retryAfter);
  const fromHeader = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
  return Number.isFinite(fromHeader) ? Math.max(jittered, Math.min(fromHeader, 60_000)) : jittered;
}

function sleepUntil(ms: number, deadline: number): Promise<void> {
  return sleep(Math.min(ms, deadline - Date.now()));
}

function describe(err: unknown): string {
  const e = err as { cause?: { code?: string }; code?: string; message?: string } | undefined;
  return e?.cause?.code ?? e?.code ?? e?.message ?? 'unknown error';
}
