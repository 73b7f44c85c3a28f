/**
 * The saved trust configuration (`opk-attest trust use`): the trust flags of `verify`, kept per
 * user (`$XDG_CONFIG_HOME/opk-attest/trust.json`) or per project (`.opk-attest.json` at the
 * repository root, found by walking up from the working directory). A project file beats the
 * user file; flags given on the command line beat both, key by key (see docs/consumer.md).
 * Callers pass the environment in (`configHome`, `cwd`): this part reads no env itself.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAX_TRUST_CONFIG_BYTES } from '../core/limits.js';
import { ConsumerError } from './errors.js';

/** File name of the project configuration, at the repository root. */
export const PROJECT_CONFIG_FILE = '.opk-attest.json';
/** File name of the user configuration, in `<configHome>/opk-attest/`. */
export const USER_CONFIG_FILE = 'trust.json';

/** How each setting is stored: a string, a file path, or a list of either. */
const KEYS = {
  'tuf-repository': 'url-or-path',
  'tuf-root': 'path',
  'tuf-cache': 'path',
  'commitment-claim': 'string',
  issuer: 'strings',
  jwks: 'path',
  'transparency-log': 'string',
  'tlog-key': 'paths',
  'trusted-root': 'path',
  'tlog-key-tofu': 'boolean',
  policy: 'path',
  'signer-claim': 'strings',
  threshold: 'string',
  require: 'strings',
} as const;

/** A trust setting: the name of the `verify` flag it stands for. */
export type TrustKey = keyof typeof KEYS;
/** The trust keys, in the order `config` shows them. */
export const TRUST_KEYS = Object.keys(KEYS) as TrustKey[];

/** Trust settings, as `verify`'s flags give them (lists for repeatable flags). */
export type TrustSettings = {
  [K in TrustKey]?: (typeof KEYS)[K] extends 'strings' | 'paths'
    ? string[]
    : (typeof KEYS)[K] extends 'boolean'
      ? boolean
      : string;
};

/** Where a setting in force came from. */
export type TrustOrigin = 'flag' | 'project' | 'user';

/** A configuration file that was read. */
export interface TrustConfigFile {
  path: string;
  scope: 'user' | 'project';
  /** Its settings, file paths made absolute (relative ones are relative to the file's directory). */
  settings: TrustSettings;
}

/** What applies, and why. */
export interface ResolvedTrust {
  /** The settings in force: the chosen file's, with the flags' on top. */
  settings: TrustSettings;
  origins: Partial<Record<TrustKey, TrustOrigin>>;
  /** The file in force, if any (the project file when there is one, else the user file). */
  file?: TrustConfigFile;
  userPath: string;
  /** The project file found walking up from `cwd`, if any. */
  projectPath?: string;
  /** Where the walk up stopped: the repository root, or the filesystem root. */
  searchedUpTo: string;
  /** File settings the flags replaced, with the reason (for `opk-attest config`). */
  replaced: { key: TrustKey; origin: TrustOrigin; because: string }[];
  /** A user file that exists but is ignored because a project file applies. */
  shadowedUserFile?: string;
}

/** Keys whose presence replaces others: a TUF repository supplies the whole policy and keys. */
const TUF = ['tuf-repository', 'tuf-root'] as const;
const FLAG_TRUST = [
  'issuer',
  'jwks',
  'transparency-log',
  'tlog-key',
  'trusted-root',
  'tlog-key-tofu',
  'policy',
  'signer-claim',
  'threshold',
  'require',
] as const;
const SIMPLE_POLICY = ['signer-claim', 'threshold', 'require'] as const;

/**
 * The user configuration file: `<configHome>/opk-attest/trust.json`.
 * @param configHome - `$XDG_CONFIG_HOME`, or `~/.config` when unset
 * @throws never
 */
export function userConfigPath(configHome: string): string {
  return path.join(configHome, 'opk-attest', USER_CONFIG_FILE);
}

/**
 * The repository root above `cwd`: the nearest directory holding `.git` (a directory, or a file in a worktree).
 * @returns the root, or undefined outside a repository
 * @throws never
 */
export async function repositoryRoot(cwd: string): Promise<string | undefined> {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (await exists(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Walks up from `cwd` looking for `.opk-attest.json`, stopping at the repository root (so a file in
 * a parent of the repository never applies) or, outside a repository, at the filesystem root.
 * @throws never
 */
export async function findProjectConfig(cwd: string): Promise<{ path?: string; searchedUpTo: string }> {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, PROJECT_CONFIG_FILE);
    if (await exists(file)) return { path: file, searchedUpTo: dir };
    if ((await exists(path.join(dir, '.git'))) || path.dirname(dir) === dir) return { searchedUpTo: dir };
  }
}

/**
 * Reads and checks a configuration file.
 * @returns the file, or undefined when it does not exist
 * @throws ConsumerError CONFIG_INVALID | CONFIG_UNREADABLE
 */
export async function readTrustConfig(file: string, scope: 'user' | 'project'): Promise<TrustConfigFile | undefined> {
  let raw: Buffer;
  try {
    if ((await stat(file)).size > MAX_TRUST_CONFIG_BYTES) throw tooLarge(file);
    raw = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof ConsumerError) throw err;
    throw new ConsumerError({
      code: 'CONFIG_UNREADABLE',
      cause: err,
      message: `${file} cannot be read; fix its permissions`,
    });
  }
  if (raw.length > MAX_TRUST_CONFIG_BYTES) throw tooLarge(file);
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw invalidConfig(file, 'is not JSON', err);
  }
  return { path: file, scope, settings: absolutePaths(parseSettings(doc, file), path.dirname(file)) };
}

/**
 * Writes settings to a configuration file (atomically: a half-written file is never read).
 * Paths are stored relative to the file's directory when they lie inside it (so a project file
 * works in every clone), else absolute.
 * @param settings - flag values; relative paths are relative to `cwd`
 * @throws ConsumerError CONFIG_UNREADABLE
 */
export async function writeTrustConfig(file: string, settings: TrustSettings, cwd: string): Promise<void> {
  const dir = path.dirname(file);
  const stored = mapPaths(settings, (p) => {
    const abs = path.resolve(cwd, p);
    const rel = path.relative(dir, abs);
    return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel.split(path.sep).join('/');
  });
  const text = `${JSON.stringify({ version: 1, trust: stored }, null, 2)}\n`;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new ConsumerError({
      code: 'CONFIG_UNREADABLE',
      cause: err,
      message: `${file} cannot be written; check the directory's permissions`,
    });
  }
}

/**
 * Which settings apply: the project file (when one is found walking up from `cwd`) or else the
 * user file, with `flags` on top. A flag replaces the file's setting of the same key, and also
 * the settings it is an alternative to (a TUF repository replaces every flag-given trust input
 * and the other way round; `policy` replaces `signer-claim`/`threshold`/`require` and the other
 * way round), so a flag never mixes silently with a file's contrary choice.
 * @param o.flags - the trust flags given, relative paths relative to `cwd`
 * @throws ConsumerError CONFIG_INVALID | CONFIG_UNREADABLE
 */
export async function resolveTrustConfig(o: {
  cwd: string;
  configHome: string;
  flags?: TrustSettings;
}): Promise<ResolvedTrust> {
  const userPath = userConfigPath(o.configHome);
  const found = await findProjectConfig(o.cwd);
  const project = found.path === undefined ? undefined : await readTrustConfig(found.path, 'project');
  const user = await readTrustConfig(userPath, 'user');
  const file = project ?? user;
  const settings: TrustSettings = { ...file?.settings };
  const origins: Partial<Record<TrustKey, TrustOrigin>> = {};
  for (const k of TRUST_KEYS) if (settings[k] !== undefined) origins[k] = file!.scope;
  const replaced: ResolvedTrust['replaced'] = [];
  const flags = absolutePaths(o.flags ?? {}, o.cwd);
  const given = TRUST_KEYS.filter((k) => flags[k] !== undefined);
  const drop = (keys: readonly TrustKey[], because: string): void => {
    for (const k of keys) {
      if (settings[k] === undefined || given.includes(k)) continue;
      replaced.push({ key: k, origin: origins[k]!, because });
      delete settings[k];
      delete origins[k];
    }
  };
  if (given.some((k) => (TUF as readonly string[]).includes(k)))
    drop(FLAG_TRUST, 'a TUF repository was given as a flag');
  if (given.some((k) => (FLAG_TRUST as readonly string[]).includes(k))) drop(TUF, 'trust flags were given');
  if (given.includes('policy')) drop(SIMPLE_POLICY, '--policy was given');
  if (given.some((k) => (SIMPLE_POLICY as readonly string[]).includes(k))) drop(['policy'], 'policy flags were given');
  for (const k of given) {
    (settings as Record<string, unknown>)[k] = flags[k];
    origins[k] = 'flag';
  }
  return {
    settings,
    origins,
    ...(file === undefined ? {} : { file }),
    userPath,
    ...(found.path === undefined ? {} : { projectPath: found.path }),
    searchedUpTo: found.searchedUpTo,
    replaced,
    ...(project !== undefined && user !== undefined ? { shadowedUserFile: user.path } : {}),
  };
}

/**
 * One line saying where trust comes from under these settings.
 * @throws never
 */
export function describeTrustSource(s: TrustSettings): string {
  if (s['tuf-repository'] !== undefined)
    return `TUF repository ${s['tuf-repository']} (root ${s['tuf-root'] ?? 'missing: set --tuf-root'})`;
  const issuers = s.issuer?.join(', ') ?? 'https://token.actions.githubusercontent.com (default)';
  if (s.policy !== undefined) return `policy file ${s.policy}, issuers ${issuers}`;
  const who = s['signer-claim']?.length
    ? `signers with ${s['signer-claim'].join(', ')}`
    : 'ANY identity (no --signer-claim)';
  return `flags: ${who} of ${issuers}, threshold ${s.threshold ?? '1'}${s.require?.length ? `, requiring ${s.require.join(', ')}` : ''}`;
}

function parseSettings(doc: unknown, file: string): TrustSettings {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalidConfig(file, 'is not a JSON object');
  const { version, trust, ...rest } = doc as Record<string, unknown>;
  if (version !== 1)
    throw invalidConfig(file, `has version ${JSON.stringify(version)}; this opk-attest reads version 1`);
  if (Object.keys(rest).length > 0) throw invalidConfig(file, `has unknown field "${Object.keys(rest)[0]}"`);
  if (typeof trust !== 'object' || trust === null || Array.isArray(trust))
    throw invalidConfig(file, 'has no "trust" object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(trust)) {
    const kind = (KEYS as Record<string, string>)[k];
    if (kind === undefined)
      throw invalidConfig(file, `has unknown setting "${k.slice(0, 60)}"; known: ${TRUST_KEYS.join(', ')}`);
    const list = kind === 'strings' || kind === 'paths';
    const ok = kind === 'boolean' ? v === true : list ? Array.isArray(v) && v.every(nonEmptyString) : nonEmptyString(v);
    if (!ok) {
      const want = kind === 'boolean' ? 'true' : list ? 'a list of non-empty strings' : 'a non-empty string';
      throw invalidConfig(file, `has "${k}" that is not ${want}`);
    }
    out[k] = v;
  }
  return out as TrustSettings;
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 4096;
}

/** Applies `f` to every file-path setting (a TUF repository only when it is not a URL). */
function mapPaths(s: TrustSettings, f: (p: string) => string): TrustSettings {
  const out: Record<string, unknown> = { ...s };
  for (const k of TRUST_KEYS) {
    const v = s[k];
    if (v === undefined) continue;
    const kind = KEYS[k];
    if (kind === 'path' || (kind === 'url-or-path' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v as string)))
      out[k] = f(v as string);
    else if (kind === 'paths') out[k] = (v as string[]).map(f);
  }
  return out as TrustSettings;
}

function absolutePaths(s: TrustSettings, base: string): TrustSettings {
  return mapPaths(s, (p) => path.resolve(base, p));
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    // Missing or unreadable: either way there is nothing to use here.
    return false;
  }
}

function tooLarge(file: string): ConsumerError {
  return invalidConfig(file, `is larger than ${MAX_TRUST_CONFIG_BYTES} bytes`);
}

function invalidConfig(file: string, what: string, cause?: unknown): ConsumerError {
  return new ConsumerError({
    code: 'CONFIG_INVALID',
    message: `trust configuration ${file} ${what}; fix it or write it again with "opk-attest trust use"`,
    ...(cause === undefined ? {} : { cause }),
  });
}
