/**
 * An in-process OCI distribution registry for tests, on 127.0.0.1:0. It implements the parts of
 * the distribution spec 1.1 that opk-attest uses, for real: blob uploads (POST, PATCH chunks,
 * PUT `?digest=`, monolithic POST, cross-repository mount), manifests by tag and digest with
 * content-type checks (GET/HEAD/PUT/DELETE), the **referrers API** (artifactType filter,
 * `OCI-Filters-Applied`, `OCI-Subject` on PUT, optional paging with `Link`), ETags on manifests
 * with `If-Match` / `If-None-Match: *` (412), and distribution 2.8's Accept quirk (an OCI
 * manifest is 404 unless its type is listed in Accept).
 *
 * Fault injection: a status (429 + Retry-After, 5xx, 412) or a 200 HTML page for the next N
 * matching requests, dropped connections (socket destroyed before or after the request
 * took effect), and delays (the request takes effect, then the answer waits). A mode without the referrers API answers 404 text/plain like distribution 2.8.
 *
 * It hashes with node:crypto itself and imports nothing from `src/`, so a bug under test
 * cannot hide in the fake.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const MANIFEST_TYPES = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST];
const INDEX_TYPES = [OCI_INDEX, DOCKER_LIST];
const MAX_BODY = 64 * 1024 * 1024;
const MAX_MANIFEST = 4 * 1024 * 1024;
const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Behaviour switches; mutable on a running registry through `registry.options`. */
export interface OciRegistryOptions {
  /** Serve `GET /v2/<name>/referrers/<digest>` (default true). Off: 404 text/plain, like distribution 2.8. */
  referrersApi?: boolean;
  /** When to send `OCI-Subject` on a PUT of a manifest with a subject: `with-api` (default),
   *  `always` (a registry that claims support it does not have), or `never`. */
  ociSubjectHeader?: 'with-api' | 'always' | 'never';
  /** Honour `If-Match` / `If-None-Match: *` on manifest PUT (default true). Off: ignored, like distribution 2.8. */
  conditionalPut?: boolean;
  /** Referrers per API page (default: all on one page). */
  referrersPageSize?: number;
  /** Apply artifactType filters on the referrers API (default true). */
  referrersFilter?: boolean;
}

/** Which requests a fault applies to. */
export interface FaultMatch {
  method?: string;
  /** A substring of the request path (e.g. `/manifests/`, `/referrers/`, `/blobs/uploads/`). */
  path?: string;
}

/** A fault for the next `times` matching requests (default 1). */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; times?: number; match?: FaultMatch }
  | { kind: 'drop'; when: 'before' | 'after'; times?: number; match?: FaultMatch }
  | { kind: 'html'; times?: number; match?: FaultMatch }
  | { kind: 'delay'; ms: number; times?: number; match?: FaultMatch };

/** One request as the registry saw it. */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number | 'dropped';
  headers: http.IncomingHttpHeaders;
  /** When the request arrived (`performance.now()` of the test process). */
  at: number;
}

interface StoredManifest {
  bytes: Buffer;
  mediaType: string;
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface Repo {
  manifests: Map<string, StoredManifest>;
  tags: Map<string, string>;
  blobs: Map<string, Buffer>;
}

interface Upload {
  repo: string;
  chunks: Buffer[];
  size: number;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

/** A running fake registry. */
export interface OciRegistry {
  /** `127.0.0.1:<port>`, as written in image references. */
  readonly host: string;
  readonly url: string;
  readonly options: Required<Omit<OciRegistryOptions, 'referrersPageSize'>> &
    Pick<OciRegistryOptions, 'referrersPageSize'>;
  readonly requests: LoggedRequest[];
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Stores bytes as a manifest without any validation, under `digest` (default: their real one). */
  seedManifest(repo: string, bytes: Buffer, contentType: string, opts?: { tag?: string; digest?: string }): string;
  /** Stores bytes as a blob under `digest` (default: their real one). */
  seedBlob(repo: string, bytes: Buffer, digest?: string): string;
  /** Removes a manifest (and its tags) or a blob directly. */
  remove(repo: string, digest: string): void;
  tags(repo: string): string[];
  manifest(repo: string, reference: string): Buffer | undefined;
  close(): Promise<void>;
}

/** sha256 digest string, computed here (not with the code under test). */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Starts a fake registry on 127.0.0.1 with an OS-assigned port.
 * @throws never (rejects if the port cannot be bound)
 */
export async function startOciRegistry(options: OciRegistryOptions = {}): Promise<OciRegistry> {
  const state = new RegistryState(options);
  const server = http.createServer((req, res) => void state.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  return {
    host,
    url: `http://${host}`,
    options: state.options,
    requests: state.log,
    inject: (f) => state.faults.push({ fault: f, left: f.times ?? 1 }),
    clearFaults: () => void state.faults.splice(0),
    seedManifest: (repo, bytes, contentType, o = {}) => state.seedManifest(repo, bytes, contentType, o),
    seedBlob: (repo, bytes, digest) => state.seedBlob(repo, bytes, digest),
    remove: (repo, digest) => state.remove(repo, digest),
    tags: (repo) => [...(state.repos.get(repo)?.tags.keys() ?? [])].sort(),
    manifest: (repo, ref) => state.lookup(repo, ref)?.bytes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

class RegistryState {
  readonly repos = new Map<string, Repo>();
  readonly uploads = new Map<string, Upload>();
  readonly faults: Array<{ fault: Fault; left: number }> = [];
  readonly log: LoggedRequest[] = [];
  readonly options: OciRegistry['options'];

  constructor(o: OciRegistryOptions) {
    this.options = {
      referrersApi: o.referrersApi ?? true,
      ociSubjectHeader: o.ociSubjectHeader ?? 'with-api',
      conditionalPut: o.conditionalPut ?? true,
      referrersFilter: o.referrersFilter ?? true,
      ...(o.referrersPageSize === undefined ? {} : { referrersPageSize: o.referrersPageSize }),
    };
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      status: 0,
      headers: req.headers,
      at: performance.now(),
    };
    this.log.push(entry);
    const fault = this.takeFault(entry.method, entry.path);
    if (fault?.kind === 'drop' && fault.when === 'before') return this.drop(req, entry);
    const body = await readBody(req);
    let reply: Reply;
    if (fault?.kind === 'status') reply = faultReply(fault);
    else if (fault?.kind === 'html')
      reply = {
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<!doctype html><html><body>Sign in to continue</body></html>',
      };
    else reply = body === undefined ? errorReply(413, 'SIZE_INVALID', 'body too large') : this.route(req, url, body);
    if (fault?.kind === 'drop') return this.drop(req, entry);
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    entry.status = reply.status;
    send(res, req.method === 'HEAD', reply);
  }

  private drop(req: http.IncomingMessage, entry: LoggedRequest): void {
    entry.status = 'dropped';
    req.socket.destroy();
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const hit = this.faults.find(
      (f) =>
        f.left > 0 &&
        (!f.fault.match?.method || f.fault.match.method === method) &&
        (!f.fault.match?.path || path.includes(f.fault.match.path)),
    );
    if (hit === undefined) return undefined;
    hit.left--;
    return hit.fault;
  }

  private route(req: http.IncomingMessage, url: URL, body: Buffer): Reply {
    const p = url.pathname;
    const method = req.method ?? 'GET';
    if (p === '/v2/' || p === '/v2')
      return {
        status: 200,
        headers: { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' },
        body: '{}',
      };
    let m: RegExpExecArray | null;
    if ((m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(p)))
      return this.withName(m[1]!, (name) => this.manifests(method, name, m![2]!, req, body));
    if ((m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(p)))
      return this.withName(m[1]!, (name) => this.uploadsRoute(method, name, m![2]!, url, req, body));
    if ((m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(p)))
      return this.withName(m[1]!, (name) => this.blobs(method, name, m![2]!));
    if ((m = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(p)) && this.options.referrersApi && method === 'GET')
      return this.withName(m[1]!, (name) => this.referrers(name, m![2]!, url));
    if ((m = /^\/v2\/(.+)\/tags\/list$/.exec(p)) && method === 'GET')
      return this.withName(m[1]!, (name) => this.tagList(name));
    return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '404 page not found\n' };
  }

  private withName(name: string, fn: (name: string) => Reply): Reply {
    return NAME.test(name) ? fn(name) : errorReply(400, 'NAME_INVALID', 'invalid repository name');
  }

  private repo(name: string): Repo {
    let r = this.repos.get(name);
    if (r === undefined) this.repos.set(name, (r = { manifests: new Map(), tags: new Map(), blobs: new Map() }));
    return r;
  }

  lookup(name: string, ref: string): (StoredManifest & { digest: string }) | undefined {
    const r = this.repos.get(name);
    const digest = DIGEST.test(ref) ? ref : r?.tags.get(ref);
    const m = digest === undefined ? undefined : r?.manifests.get(digest);
    return m === undefined ? undefined : { ...m, digest: digest! };
  }

  // ---- manifests ----

  private manifests(method: string, name: string, ref: string, req: http.IncomingMessage, body: Buffer): Reply {
    if (!DIGEST.test(ref) && !TAG.test(ref)) return errorReply(400, 'TAG_INVALID', 'invalid tag or digest');
    if (method === 'GET' || method === 'HEAD') return this.getManifest(name, ref, req.headers.accept);
    if (method === 'PUT') return this.putManifest(name, ref, req, body);
    if (method === 'DELETE') return this.deleteManifest(name, ref);
    return errorReply(405, 'UNSUPPORTED', 'method not allowed');
  }

  private getManifest(name: string, ref: string, accept: string | undefined): Reply {
    const m = this.lookup(name, ref);
    if (m === undefined) return errorReply(404, 'MANIFEST_UNKNOWN', 'manifest unknown');
    const accepted = (accept ?? '').split(',').map((s) => s.split(';')[0]!.trim());
    if (!accepted.includes(m.mediaType))
      return errorReply(
        404,
        'MANIFEST_UNKNOWN',
        'OCI manifest found, but accept header does not support OCI manifests',
      );
    return {
      status: 200,
      headers: { 'content-type': m.mediaType, 'docker-content-digest': m.digest, etag: `"${m.digest}"` },
      body: m.bytes,
    };
  }

  private putManifest(name: string, ref: string, req: http.IncomingMessage, body: Buffer): Reply {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const checked = this.validateManifest(name, contentType, body);
    if ('status' in checked) return checked;
    const digest = sha256Digest(body);
    if (DIGEST.test(ref) && ref !== digest)
      return errorReply(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
    const precondition = this.checkPreconditions(name, ref, req.headers);
    if (precondition !== undefined) return precondition;
    const r = this.repo(name);
    r.manifests.set(digest, checked);
    if (!DIGEST.test(ref)) r.tags.set(ref, digest);
    const headers: Record<string, string> = {
      location: `/v2/${name}/manifests/${digest}`,
      'docker-content-digest': digest,
    };
    const header = this.options.ociSubjectHeader;
    if (checked.subject && (header === 'always' || (header === 'with-api' && this.options.referrersApi)))
      headers['oci-subject'] = checked.subject;
    return { status: 201, headers };
  }

  private validateManifest(name: string, contentType: string, body: Buffer): StoredManifest | Reply {
    if (!MANIFEST_TYPES.includes(contentType))
      return errorReply(400, 'MANIFEST_INVALID', `unsupported content type ${contentType}`);
    if (body.length > MAX_MANIFEST) return errorReply(413, 'SIZE_INVALID', 'manifest too large');
    let doc: any;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      return errorReply(400, 'MANIFEST_INVALID', 'manifest is not JSON');
    }
    if (typeof doc !== 'object' || doc === null || doc.schemaVersion !== 2)
      return errorReply(400, 'MANIFEST_INVALID', 'schemaVersion must be 2');
    if (doc.mediaType !== undefined && doc.mediaType !== contentType)
      return errorReply(400, 'MANIFEST_INVALID', 'mediaType does not match Content-Type');
    const missing = this.missingReferences(name, contentType, doc);
    if (missing !== undefined) return errorReply(400, 'MANIFEST_BLOB_UNKNOWN', `blob unknown to registry: ${missing}`);
    return storedOf(body, contentType, doc);
  }

  private missingReferences(name: string, contentType: string, doc: any): string | undefined {
    const r = this.repo(name);
    if (INDEX_TYPES.includes(contentType)) {
      if (!Array.isArray(doc.manifests)) return 'manifests';
      return doc.manifests.map((d: any) => String(d?.digest)).find((d: string) => !r.manifests.has(d));
    }
    if (typeof doc.config !== 'object' || !Array.isArray(doc.layers)) return 'config/layers';
    return [doc.config, ...doc.layers].map((d: any) => String(d?.digest)).find((d: string) => !r.blobs.has(d));
  }

  private checkPreconditions(name: string, ref: string, headers: http.IncomingHttpHeaders): Reply | undefined {
    if (!this.options.conditionalPut) return undefined;
    const current = this.lookup(name, ref)?.digest;
    const ifMatch = headers['if-match'];
    if (ifMatch !== undefined) {
      const ok =
        current !== undefined &&
        ifMatch
          .split(',')
          .map((s) => s.trim().replace(/^W\//, ''))
          .some((e) => e === '*' || e === `"${current}"`);
      if (!ok) return errorReply(412, 'PRECONDITION_FAILED', 'If-Match does not match the current manifest');
    }
    if (headers['if-none-match'] === '*' && current !== undefined)
      return errorReply(412, 'PRECONDITION_FAILED', 'the tag already exists');
    return undefined;
  }

  private deleteManifest(name: string, ref: string): Reply {
    const r = this.repos.get(name);
    if (this.lookup(name, ref) === undefined || r === undefined)
      return errorReply(404, 'MANIFEST_UNKNOWN', 'manifest unknown');
    if (DIGEST.test(ref)) this.remove(name, ref);
    else r.tags.delete(ref);
    return { status: 202 };
  }

  // ---- referrers ----

  private referrers(name: string, digest: string, url: URL): Reply {
    if (!DIGEST.test(digest)) return errorReply(400, 'DIGEST_INVALID', 'invalid digest');
    const artifactType = this.options.referrersFilter ? url.searchParams.get('artifactType') : null;
    const all = [...(this.repos.get(name)?.manifests ?? new Map<string, StoredManifest>())]
      .filter(([, m]) => m.subject === digest)
      .map(([d, m]) => ({
        mediaType: m.mediaType,
        digest: d,
        size: m.bytes.length,
        ...(m.artifactType ? { artifactType: m.artifactType } : {}),
        ...(m.annotations ? { annotations: m.annotations } : {}),
      }))
      .filter((d) => artifactType === null || d.artifactType === artifactType);
    const { page, next } = this.paginate(all, url);
    const headers: Record<string, string> = { 'content-type': OCI_INDEX };
    if (artifactType !== null) headers['oci-filters-applied'] = 'artifactType';
    if (next !== undefined) headers.link = `</v2/${name}/referrers/${digest}?${next}>; rel="next"`;
    return { status: 200, headers, body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: page }) };
  }

  private paginate<T>(all: T[], url: URL): { page: T[]; next?: string } {
    const size = this.options.referrersPageSize;
    if (size === undefined) return { page: all };
    const start = Number(url.searchParams.get('page') ?? '0');
    const page = all.slice(start * size, (start + 1) * size);
    if ((start + 1) * size >= all.length) return { page };
    const q = new URLSearchParams(url.searchParams);
    q.set('page', String(start + 1));
    return { page, next: q.toString() };
  }

  private tagList(name: string): Reply {
    const r = this.repos.get(name);
    if (r === undefined) return errorReply(404, 'NAME_UNKNOWN', 'repository name not known to registry');
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, tags: [...r.tags.keys()].sort() }),
    };
  }

  // ---- blobs ----

  private blobs(method: string, name: string, digest: string): Reply {
    if (!DIGEST.test(digest)) return errorReply(400, 'DIGEST_INVALID', 'invalid digest');
    const blob = this.repos.get(name)?.blobs.get(digest);
    if (method === 'DELETE') {
      if (blob === undefined) return errorReply(404, 'BLOB_UNKNOWN', 'blob unknown to registry');
      this.repo(name).blobs.delete(digest);
      return { status: 202 };
    }
    if (method !== 'GET' && method !== 'HEAD') return errorReply(405, 'UNSUPPORTED', 'method not allowed');
    if (blob === undefined) return errorReply(404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    return {
      status: 200,
      headers: { 'content-type': 'application/octet-stream', 'docker-content-digest': digest },
      body: blob,
    };
  }

  private uploadsRoute(
    method: string,
    name: string,
    id: string,
    url: URL,
    req: http.IncomingMessage,
    body: Buffer,
  ): Reply {
    if (method === 'POST' && id === '') return this.startUpload(name, url, body);
    const upload = this.uploads.get(id);
    if (upload === undefined || upload.repo !== name)
      return errorReply(404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
    if (method === 'PATCH') return this.patchUpload(name, id, upload, req, body);
    if (method === 'PUT') return this.finishUpload(name, id, upload, url.searchParams.get('digest'), body);
    if (method === 'GET')
      return {
        status: 204,
        headers: { location: uploadLocation(name, id), range: `0-${Math.max(0, upload.size - 1)}` },
      };
    if (method === 'DELETE') return (this.uploads.delete(id), { status: 204 });
    return errorReply(405, 'UNSUPPORTED', 'method not allowed');
  }

  private startUpload(name: string, url: URL, body: Buffer): Reply {
    const mount = url.searchParams.get('mount');
    const from = url.searchParams.get('from');
    const source = mount && from ? this.repos.get(from)?.blobs.get(mount) : undefined;
    if (mount && source !== undefined) {
      this.repo(name).blobs.set(mount, source);
      return { status: 201, headers: { location: `/v2/${name}/blobs/${mount}`, 'docker-content-digest': mount } };
    }
    const digest = url.searchParams.get('digest');
    if (digest !== null && !mount) return this.store(name, digest, body);
    const id = randomUUID();
    this.uploads.set(id, { repo: name, chunks: [], size: 0 });
    return { status: 202, headers: { location: uploadLocation(name, id), range: '0-0', 'docker-upload-uuid': id } };
  }

  private patchUpload(name: string, id: string, upload: Upload, req: http.IncomingMessage, body: Buffer): Reply {
    const range = req.headers['content-range'];
    const m = range === undefined ? null : /^(\d+)-(\d+)$/.exec(range);
    if (
      range !== undefined &&
      (m === null || Number(m[1]) !== upload.size || Number(m[2]) !== upload.size + body.length - 1)
    ) {
      return errorReply(416, 'BLOB_UPLOAD_INVALID', `content range ${range} does not continue at ${upload.size}`);
    }
    upload.chunks.push(body);
    upload.size += body.length;
    return {
      status: 202,
      headers: { location: uploadLocation(name, id), range: `0-${upload.size - 1}`, 'docker-upload-uuid': id },
    };
  }

  private finishUpload(name: string, id: string, upload: Upload, digest: string | null, body: Buffer): Reply {
    if (digest === null) return errorReply(400, 'DIGEST_INVALID', 'digest missing');
    const reply = this.store(name, digest, Buffer.concat([...upload.chunks, body]));
    if (reply.status === 201) this.uploads.delete(id);
    return reply;
  }

  private store(name: string, digest: string, bytes: Buffer): Reply {
    if (!DIGEST.test(digest) || sha256Digest(bytes) !== digest)
      return errorReply(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
    this.repo(name).blobs.set(digest, bytes);
    return { status: 201, headers: { location: `/v2/${name}/blobs/${digest}`, 'docker-content-digest': digest } };
  }

  // ---- direct access for tests ----

  seedManifest(name: string, bytes: Buffer, contentType: string, o: { tag?: string; digest?: string }): string {
    const digest = o.digest ?? sha256Digest(bytes);
    const r = this.repo(name);
    let doc: any = {};
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      // seeded garbage is the point of seeding: store it unparsed
    }
    r.manifests.set(digest, { ...storedOf(bytes, contentType, doc ?? {}) });
    if (o.tag !== undefined) r.tags.set(o.tag, digest);
    return digest;
  }

  seedBlob(name: string, bytes: Buffer, digest?: string): string {
    const d = digest ?? sha256Digest(bytes);
    this.repo(name).blobs.set(d, bytes);
    return d;
  }

  remove(name: string, digest: string): void {
    const r = this.repos.get(name);
    if (r === undefined) return;
    r.manifests.delete(digest);
    r.blobs.delete(digest);
    for (const [tag, d] of r.tags) if (d === digest) r.tags.delete(tag);
  }
}

function storedOf(bytes: Buffer, mediaType: string, doc: any): StoredManifest {
  const subject = typeof doc?.subject?.digest === 'string' ? doc.subject.digest : undefined;
  const artifactType =
    typeof doc?.artifactType === 'string'
      ? doc.artifactType
      : typeof doc?.config?.mediaType === 'string'
        ? doc.config.mediaType
        : undefined;
  const annotations = typeof doc?.annotations === 'object' && doc.annotations !== null ? doc.annotations : undefined;
  return {
    bytes,
    mediaType,
    ...(subject ? { subject } : {}),
    ...(artifactType ? { artifactType } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

// Distribution hands out absolute Locations with a `_state` query; the client must append `&digest=`.
function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}?_state=${randomUUID()}`;
}

function faultReply(f: Extract<Fault, { kind: 'status' }>): Reply {
  const code = f.status === 429 ? 'TOOMANYREQUESTS' : f.status === 412 ? 'PRECONDITION_FAILED' : 'UNKNOWN';
  const reply = errorReply(f.status, code, 'injected fault');
  if (f.retryAfter !== undefined) reply.headers!['retry-after'] = f.retryAfter;
  return reply;
}

function errorReply(status: number, code: string, message: string): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ errors: [{ code, message }] }),
  };
}

function send(res: http.ServerResponse, head: boolean, reply: Reply): void {
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body);
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
  res.end(head ? undefined : body);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
