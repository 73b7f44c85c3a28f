/**
 * Finds the credential for a registry the way docker and podman do: explicit input first, then
 * the auth files (`auths`, `credHelpers`, `credsStore`), first file with an answer wins.
 *
 * File order (each only if it exists):
 * 1. `$REGISTRY_AUTH_FILE` (podman/skopeo; set on purpose, so it wins over defaults);
 * 2. `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (what `docker login` and
 *    `docker/login-action` write);
 * 3. `$XDG_RUNTIME_DIR/containers/auth.json`, then `~/.config/containers/auth.json` (podman).
 * Within a file: `credHelpers` for the registry, then an `auths` entry, then `credsStore`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { b64Decode } from '../../core/b64.js';
import { OciError } from '../errors.js';
import { DOCKER_HUB, parseRegistry } from '../reference.js';
import type { Credential } from './credential.js';
import { runCredentialHelper } from './credential-helper.js';
import { isRecord } from '../../core/guards.js';

/** Options of `resolveCredential`. */
export interface CredentialOptions {
  /** Explicit credentials (action inputs `registry-username`/`registry-password`); highest precedence. */
  username?: string;
  password?: string;
  /** The repository, for podman's per-namespace keys (`quay.io/org`). */
  repository?: string;
  /** Environment read for DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, HOME and PATH
   *  (helpers); defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The key docker uses for Docker Hub in `auths`, `credHelpers` and as the helper's server URL. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
const MAX_AUTH_FILE_BYTES = 1024 * 1024;

interface AuthFile {
  auths?: Record<string, unknown>;
  credHelpers?: Record<string, unknown>;
  credsStore?: unknown;
}

/**
 * Resolves the credential for `registry`.
 * @param registry - as written in references (`ghcr.io`, `docker.io`, `127.0.0.1:5000`)
 * @returns the credential, or undefined for anonymous access
 * @throws OciError OCI_CREDENTIALS_INVALID (half of an explicit pair, malformed auth file) |
 *   OCI_CREDENTIALS_HELPER_FAILED | OCI_REFERENCE_INVALID
 */
export async function resolveCredential(
  registry: string,
  options: CredentialOptions = {},
): Promise<Credential | undefined> {
  const explicit = explicitCredential(registry, options);
  if (explicit) return explicit;
  const reg = parseRegistry(registry);
  const env = options.env ?? process.env;
  for (const file of authFiles(env)) {
    const parsed = await readAuthFile(file);
    if (!parsed) continue;
    const found = await fromFile(file, parsed, reg, options.repository, env);
    if (found) return found;
  }
  return undefined;
}

/**
 * The auth files consulted, in order (see the module comment).
 * @throws never
 */
export function authFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env['HOME'] || homedir();
  const files: string[] = [];
  if (env['REGISTRY_AUTH_FILE']) files.push(env['REGISTRY_AUTH_FILE']);
  files.push(
    env['DOCKER_CONFIG'] ? path.join(env['DOCKER_CONFIG'], 'config.json') : path.join(home, '.docker', 'config.json'),
  );
  if (env['XDG_RUNTIME_DIR']) files.push(path.join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json'));
  files.push(path.join(home, '.config', 'containers', 'auth.json'));
  return files;
}

function explicitCredential(registry: string, o: CredentialOptions): Credential | undefined {
  if (!o.username && !o.password) return undefined;
  if (!o.username || !o.password) {
    throw new OciError({
      code: 'OCI_CREDENTIALS_INVALID',
      message: `credentials for ${registry}: ${o.username ? 'a username without a password' : 'a password without a username'} was given; give both (registry-username and registry-password) or neither`,
    });
  }
  return { kind: 'basic', username: o.username, password: o.password, source: 'explicit username/password' };
}

async function readAuthFile(file: string): Promise<AuthFile | undefined> {
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw invalidFile(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
  if (text.length > MAX_AUTH_FILE_BYTES) throw invalidFile(file, `is larger than ${MAX_AUTH_FILE_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch {
    // No cause: JSON.parse's message quotes the file, which holds secrets.
    throw invalidFile(file, 'is not valid JSON');
  }
  if (!isRecord(parsed)) throw invalidFile(file, 'is not a JSON object');
  for (const key of ['auths', 'credHelpers'] as const) {
    if (parsed[key] !== undefined && !isRecord(parsed[key]))
      throw invalidFile(file, `has "${key}" that is not an object`);
  }
  if (parsed['credsStore'] !== undefined && typeof parsed['credsStore'] !== 'string')
    throw invalidFile(file, 'has "credsStore" that is not a string');
  return parsed as AuthFile;
}

async function fromFile(
  file: string,
  f: AuthFile,
  registry: string,
  repository: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Credential | undefined> {
  const serverUrl = registry === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry;
  const helper = lookup(f.credHelpers, registry, undefined);
  if (typeof helper === 'string' && helper !== '') {
    const cred = await runCredentialHelper(helper, serverUrl, env);
    if (cred) return cred;
  }
  const entry = lookup(f.auths, registry, repository);
  if (entry !== undefined) {
    const cred = parseAuthEntry(file, registry, entry);
    if (cred) return cred;
  }
  if (typeof f.credsStore === 'string' && f.credsStore !== '') return runCredentialHelper(f.credsStore, serverUrl, env);
  return undefined;
}

/**
 * Finds the value for a registry in a map keyed like docker and podman key it: most specific
 * namespace first (`reg/org/repo`, `reg/org`), then the host itself, then keys written as
 * URLs (`https://ghcr.io`, `https://index.docker.io/v1/`) reduced to their host.
 */
function lookup(map: Record<string, unknown> | undefined, registry: string, repository: string | undefined): unknown {
  if (!map) return undefined;
  const own = (k: string): boolean => Object.prototype.hasOwnProperty.call(map, k);
  const parts = repository ? repository.split('/') : [];
  for (let n = parts.length; n > 0; n--) {
    const key = `${registry}/${parts.slice(0, n).join('/')}`;
    if (own(key)) return map[key];
  }
  if (own(registry)) return map[registry];
  for (const key of Object.keys(map)) {
    if (hostOfKey(key) === registry) return map[key];
  }
  return undefined;
}

/** docker's `ConvertToHostname` plus its Docker Hub aliases; non-registry keys yield undefined. */
function hostOfKey(key: string): string | undefined {
  const host = key.replace(/^https?:\/\//i, '').split('/')[0] ?? '';
  try {
    return parseRegistry(host);
  } catch {
    return undefined; // a key that names no registry matches nothing
  }
}

function parseAuthEntry(file: string, registry: string, entry: unknown): Credential | undefined {
  if (!isRecord(entry)) throw invalidFile(file, `has an entry for ${registry} that is not an object`);
  const source = file;
  const { auth, identitytoken, username, password } = entry;
  if (typeof identitytoken === 'string' && identitytoken !== '')
    return { kind: 'identity-token', token: identitytoken, source };
  if (typeof auth === 'string' && auth !== '') {
    let decoded: string;
    try {
      decoded = b64Decode(auth).toString('utf8');
    } catch {
      throw invalidFile(
        file,
        `has an "auth" for ${registry} that is not base64; run \`docker login ${registry}\` again`,
      );
    }
    const colon = decoded.indexOf(':');
    if (colon <= 0)
      throw invalidFile(
        file,
        `has an "auth" for ${registry} that is not base64 of "user:password"; run \`docker login ${registry}\` again`,
      );
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
  }
  if (typeof username === 'string' && username !== '' && typeof password === 'string' && password !== '') {
    return { kind: 'basic', username, password, source };
  }
  return undefined;
}

function invalidFile(file: string, what: string, cause?: unknown): OciError {
  return new OciError({
    code: 'OCI_CREDENTIALS_INVALID',
    message: `auth file ${file} ${what}`,
    ...(cause === undefined ? {} : { cause }),
  });
}
