/**
 * Image references (`name[:tag][@digest]`), parsed and normalised like docker does, and the
 * registry's API base URL. Pure: no I/O. Grammar: distribution's `reference` package.
 */
import { isIP } from 'node:net';
import { isDigest, type Digest } from '../core/digest.js';
import { isLoopbackHost } from '../core/loopback.js';
import { OciError } from './errors.js';

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** The registry as written, normalised: `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  registry: string;
  /** The repository path, e.g. `library/alpine` (Docker Hub's implicit `library/` added). */
  repository: string;
  /** The tag, when one was written. */
  tag?: string;
  /** The manifest digest, when one was written. */
  digest?: Digest;
}

/** Options of `registryBaseUrl`. */
export interface ReferenceOptions {
  /** Registries (`host` or `host:port`) to reach over plain http although they are not loopback. */
  insecureRegistries?: readonly string[];
  /** Forces the scheme (e.g. `https` for a loopback registry that serves TLS). */
  scheme?: 'http' | 'https';
}

/** Docker Hub as written in references, and the host that serves its API. */
export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

const MAX_REFERENCE_LENGTH = 4096;
const MAX_NAME_LENGTH = 255;
const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;

/**
 * Parses `name[:tag][@digest]` with Docker Hub normalisation (`alpine` → `docker.io/library/alpine`).
 * Neither tag nor digest is implied: callers decide (docker uses `latest`), see `referenceIdentifier`.
 * @param ref - the reference as the user wrote it
 * @returns the normalised reference
 * @throws OciError OCI_REFERENCE_INVALID
 */
export function parseReference(ref: string): ImageReference {
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > MAX_REFERENCE_LENGTH) {
    throw invalid(String(ref).slice(0, 100), `is empty or longer than ${MAX_REFERENCE_LENGTH} characters`);
  }
  const at = ref.indexOf('@');
  if (at !== -1 && ref.indexOf('@', at + 1) !== -1)
    throw invalid(ref, 'has more than one "@"; expected name[:tag][@sha256:<64 hex>]');
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  if (digest !== undefined && !isDigest(digest)) {
    throw invalid(ref, 'has a digest that is not "sha256:" followed by 64 lowercase hex characters');
  }
  const nameAndTag = at === -1 ? ref : ref.slice(0, at);
  const { name, tag } = splitTag(ref, nameAndTag);
  const { registry, repository } = splitName(ref, name);
  return { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/**
 * Formats a reference in its fully qualified form (`docker.io/library/alpine:3@sha256:…`).
 * @throws never
 */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/**
 * Whether `s` is a tag as the reference grammar allows (1-128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`).
 * @throws never
 */
export function isTag(s: string): boolean {
  return TAG.test(s);
}

/**
 * What to ask the registry for: the digest when known, else the tag, else `latest` (as docker does).
 * @throws never
 */
export function referenceIdentifier(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/**
 * Validates a registry host as written in references (`ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`)
 * and returns it normalised (Docker Hub aliases → `docker.io`, host lowercase).
 * @throws OciError OCI_REFERENCE_INVALID
 */
export function parseRegistry(registry: string): string {
  if (!isRegistryHost(registry)) {
    throw invalid(registry, 'is not a registry host; expected host[:port], e.g. ghcr.io or 127.0.0.1:5000');
  }
  const lower = registry.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/**
 * The base URL of a registry's API: plain http for loopback (`localhost`, `127.0.0.0/8`, `[::1]`)
 * and `insecureRegistries`, https otherwise, unless `scheme` forces one; Docker Hub is served by
 * `registry-1.docker.io`.
 * @throws OciError OCI_REFERENCE_INVALID
 */
export function registryBaseUrl(registry: string, options: ReferenceOptions = {}): string {
  const reg = parseRegistry(registry);
  const host = reg === DOCKER_HUB ? DOCKER_HUB_API : reg;
  const scheme = options.scheme ?? (usesPlainHttp(reg, options) ? 'http' : 'https');
  return `${scheme}://${host}`;
}

/**
 * Whether a registry (or any `host[:port]`) is reached over plain http: loopback or listed insecure.
 * @throws never
 */
export function usesPlainHttp(registry: string, options: ReferenceOptions = {}): boolean {
  const hostname = hostOf(registry.toLowerCase());
  const insecure = (options.insecureRegistries ?? []).map((r) => r.toLowerCase());
  if (insecure.includes(registry.toLowerCase()) || insecure.includes(hostname)) return true;
  return isLoopbackHost(hostname);
}

/** The host without its port (`[::1]:5000` → `[::1]`, `a.io:443` → `a.io`). */
function hostOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(0, registry.indexOf(']') + 1);
  const colon = registry.lastIndexOf(':');
  return colon === -1 ? registry : registry.slice(0, colon);
}

function splitTag(ref: string, nameAndTag: string): { name: string; tag?: string } {
  // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
  const colon = nameAndTag.lastIndexOf(':');
  if (colon === -1 || colon < nameAndTag.lastIndexOf('/')) return { name: nameAndTag };
  const tag = nameAndTag.slice(colon + 1);
  if (!TAG.test(tag)) {
    throw invalid(
      ref,
      `has tag "${tag.slice(0, 140)}"; expected 1-128 of [A-Za-z0-9_.-], not starting with "." or "-"`,
    );
  }
  return { name: nameAndTag.slice(0, colon), tag };
}

function splitName(ref: string, name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  // docker's rule: the first component is a registry if it has '.' or ':', is localhost, or has uppercase.
  const hasRegistry = slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  const registryWritten = hasRegistry ? first : DOCKER_HUB;
  if (hasRegistry && !isRegistryHost(first)) {
    throw invalid(ref, `has registry "${first}"; expected host[:port], e.g. ghcr.io, 127.0.0.1:5000 or [::1]:5000`);
  }
  const registry = parseRegistry(registryWritten);
  let repository = hasRegistry ? name.slice(slash + 1) : name;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  checkRepository(ref, repository);
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    throw invalid(ref, `has a name longer than ${MAX_NAME_LENGTH} characters`);
  }
  return { registry, repository };
}

function checkRepository(ref: string, repository: string): void {
  const bad = repository.split('/').find((c) => !PATH_COMPONENT.test(c));
  if (bad === undefined) return;
  const hint = bad !== bad.toLowerCase() ? ' (repository names must be lowercase)' : '';
  throw invalid(
    ref,
    `has repository component "${bad.slice(0, 100)}"; expected lowercase [a-z0-9] separated by ".", "_", "__" or "-"${hint}`,
  );
}

function isRegistryHost(s: string): boolean {
  let host = s;
  let port: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close === -1 || isIP(s.slice(1, close)) !== 6) return false;
    const rest = s.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return false;
    return rest === '' || validPort(rest.slice(1));
  }
  const colon = s.indexOf(':');
  if (colon !== -1) {
    host = s.slice(0, colon);
    port = s.slice(colon + 1);
    if (!validPort(port)) return false;
  }
  return host.length > 0 && host.length <= 253 && host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

function validPort(p: string): boolean {
  return PORT.test(p) && Number(p) >= 1 && Number(p) <= 65535;
}

function invalid(ref: string, what: string): OciError {
  return new OciError({ code: 'OCI_REFERENCE_INVALID', message: `image reference ${JSON.stringify(ref)} ${what}` });
}
