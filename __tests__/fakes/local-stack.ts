/**
 * A whole signing environment on loopback, shared by `npm run demo` and the action's end-to-end
 * test: a registry (the CNCF distribution binary, or the in-process OCI registry), the
 * GitHub-compatible OIDC endpoint and the Rekor-v1 test log, plus what it takes to run the
 * bundled action the way the Actions runner does (`INPUT_*` variables, `GITHUB_OUTPUT` and
 * `GITHUB_STEP_SUMMARY` files, the ID-token request variables) and to keep `dist/` fresh.
 *
 * Everything it starts — servers, child processes, temporary directories — is owned by the
 * stack and released by `stop()`, which is idempotent and safe to call from a signal handler.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTransport } from '../../src/oci/transport/client.js';
import { pushBuildkitImage, type BuildkitImageOptions, type BuiltImage } from '../fixtures/buildkit-image.js';
import { startDistribution, type Distribution } from './distribution.js';
import { DEFAULT_GITHUB_CLAIMS, startGithubOidc, type GithubOidc } from './github-oidc.js';
import { startOciRegistry, type OciRegistry } from './oci-registry.js';
import { startRekorLog, type RekorLog } from './rekor-log.js';

/** Where the CNCF distribution registry is installed by the Debian package. */
export const DISTRIBUTION_BINARY = '/usr/bin/docker-registry';

/** Which registry to run: `auto` takes the distribution binary when it is installed. */
export type RegistryChoice = 'auto' | 'distribution' | 'in-process';

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  registry?: RegistryChoice;
  /** When the binary is missing: `apt-get install -y docker-registry` if root on Debian/Ubuntu (the demo). */
  installRegistry?: boolean;
  /** Progress lines (what was chosen, installed, started). */
  log?: (line: string) => void;
}

/** The registry the stack runs. */
export interface StackRegistry {
  kind: 'distribution' | 'in-process';
  /** `127.0.0.1:PORT`, as written in image references. */
  host: string;
  /** One line for people: what it is and how referrers are found there. */
  description: string;
  /** The in-process registry, for fault injection (absent for distribution). */
  fake?: OciRegistry;
}

/** The workflow run an action pretends to be in; the OIDC endpoint issues matching claims. */
export interface WorkflowIdentity {
  repository: string;
  /** `owner/repo/.github/workflows/file.yml@ref`. */
  workflowRef: string;
  ref: string;
  sha: string;
  runId: string;
  runAttempt: string;
  eventName: string;
  runnerEnvironment: string;
}

/** A push to main in octo-org/octo-repo: the same values as the OIDC fake's default claims. */
export const DEFAULT_IDENTITY: Readonly<WorkflowIdentity> = {
  repository: String(DEFAULT_GITHUB_CLAIMS.repository),
  workflowRef: String(DEFAULT_GITHUB_CLAIMS.workflow_ref),
  ref: String(DEFAULT_GITHUB_CLAIMS.ref),
  sha: String(DEFAULT_GITHUB_CLAIMS.sha),
  runId: String(DEFAULT_GITHUB_CLAIMS.run_id),
  runAttempt: String(DEFAULT_GITHUB_CLAIMS.run_attempt),
  eventName: String(DEFAULT_GITHUB_CLAIMS.event_name),
  runnerEnvironment: String(DEFAULT_GITHUB_CLAIMS.runner_environment),
};

/** One run of a bundled action, as the runner would have seen it. */
export interface ActionRun {
  /** Exit status (null when killed by a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Outputs written to the GITHUB_OUTPUT file. */
  outputs: Record<string, string>;
  /** Raw contents of the GITHUB_OUTPUT file. */
  outputFile: string;
  /** Contents of the GITHUB_STEP_SUMMARY file. */
  summary: string;
  /** Messages of `::error::` workflow commands. */
  errors: string[];
  /** Values registered with `::add-mask::`. */
  masked: string[];
}

/** A running stack. */
export interface LocalStack {
  registry: StackRegistry;
  oidc: GithubOidc;
  rekor: RekorLog;
  /** Scratch directory (removed by stop): the log key, per-run files, the action's HOME. */
  dir: string;
  /** The log's public key as a PEM file (for `--tlog-key` / `tlog-key`). */
  tlogKeyFile: string;
  /** Pushes a BuildKit-shaped image to the stack's registry; `ref` is `host/repo@digest`. */
  pushImage(o: BuildkitImageOptions): Promise<BuiltImage & { ref: string }>;
  /** The Actions runner's environment for a job with `permissions: id-token: write` (unless `idToken: false`). */
  runnerEnv(identity?: WorkflowIdentity, o?: { idToken?: boolean }): Record<string, string>;
  /** Makes the OIDC endpoint issue this identity's claims (the default identity when omitted). */
  useIdentity(identity?: WorkflowIdentity): void;
  /** Runs `node <script>` with inputs as `INPUT_<NAME>` variables, as the runner does. */
  runAction(script: string, inputs: Record<string, string>, env: Record<string, string>): Promise<ActionRun>;
  /** Runs `node <script> <args…>` (the CLI) with a clean environment. */
  runNode(
    script: string,
    args: readonly string[],
    env?: Record<string, string>,
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Kills child processes, stops the servers, removes the scratch directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts registry, OIDC endpoint and log on 127.0.0.1 (ephemeral ports).
 * @throws Error when the distribution registry is required but cannot be started
 */
export async function startLocalStack(o: LocalStackOptions = {}): Promise<LocalStack> {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(path.join(tmpdir(), 'opk-stack-'));
  const children = new Set<ChildProcess>();
  const stoppers: Array<() => Promise<void>> = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      for (const c of children) c.kill('SIGKILL');
      await Promise.allSettled(stoppers.reverse().map((s) => s()));
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    const registry = await startRegistry(o.registry ?? 'auto', o.installRegistry ?? false, log, stoppers);
    const oidc = await startGithubOidc();
    stoppers.push(() => oidc.close());
    const rekor = await startRekorLog({ hostname: 'rekor.local' });
    stoppers.push(() => rekor.close());
    const tlogKeyFile = path.join(dir, 'rekor.pub.pem');
    writeFileSync(tlogKeyFile, rekor.publicKeyPem);
    const home = path.join(dir, 'home');
    mkdirSync(home);
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
    let runs = 0;
    const exec = (script: string, args: readonly string[], env: Record<string, string>) =>
      runChild(children, script, args, { ...base, ...env });
    return {
      registry,
      oidc,
      rekor,
      dir,
      tlogKeyFile,
      stop,
      async pushImage(image) {
        const t = createTransport(registry.host);
        try {
          const built = await pushBuildkitImage(t, image);
          return { ...built, ref: `${registry.host}/${image.repository}@${built.digest}` };
        } finally {
          await t.close();
        }
      },
      runnerEnv: (identity = DEFAULT_IDENTITY, { idToken = true } = {}) => runnerEnv(identity, oidc, idToken),
      useIdentity: (identity) => (identity === undefined ? oidc.reset() : oidc.setClaims(claimsOf(identity))),
      async runAction(script, inputs, env) {
        const runDir = path.join(dir, `run-${++runs}`);
        mkdirSync(runDir);
        const files = {
          GITHUB_OUTPUT: path.join(runDir, 'output'),
          GITHUB_STEP_SUMMARY: path.join(runDir, 'summary.md'),
        };
        for (const f of Object.values(files)) writeFileSync(f, '');
        const r = await exec(script, [], { ...env, ...files, RUNNER_TEMP: runDir, ...inputVariables(inputs) });
        const outputFile = readFileSync(files.GITHUB_OUTPUT, 'utf8');
        return {
          ...r,
          outputFile,
          outputs: parseOutputFile(outputFile),
          summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
          errors: workflowCommands(r.stdout, 'error'),
          masked: workflowCommands(r.stdout, 'add-mask'),
        };
      },
      runNode: (script, args, env = {}) => exec(script, args, env),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The claims GitHub would put in the ID token of a job of this workflow run. */
export function claimsOf(id: WorkflowIdentity): Record<string, unknown> {
  const [owner] = id.repository.split('/');
  return {
    sub: `repo:${id.repository}:ref:${id.ref}`,
    repository: id.repository,
    repository_owner: owner,
    ref: id.ref,
    sha: id.sha,
    workflow_ref: id.workflowRef,
    job_workflow_ref: id.workflowRef,
    workflow_sha: id.sha,
    job_workflow_sha: id.sha,
    run_id: id.runId,
    run_attempt: id.runAttempt,
    event_name: id.eventName,
    runner_environment: id.runnerEnvironment,
  };
}

/** The Actions runner's environment for a job of `id` (with the ID-token request variables unless `idToken` is false). */
export function runnerEnv(id: WorkflowIdentity, oidc: GithubOidc, idToken: boolean): Record<string, string> {
  return {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_REPOSITORY: id.repository,
    GITHUB_REPOSITORY_OWNER: id.repository.split('/')[0]!,
    GITHUB_WORKFLOW_REF: id.workflowRef,
    GITHUB_SHA: id.sha,
    GITHUB_REF: id.ref,
    GITHUB_RUN_ID: id.runId,
    GITHUB_RUN_ATTEMPT: id.runAttempt,
    GITHUB_EVENT_NAME: id.eventName,
    RUNNER_ENVIRONMENT: id.runnerEnvironment,
    GITHUB_SERVER_URL: 'https://github.com',
    // The workflow's `oidc-issuer` input: the loopback endpoint is the issuer instead of GitHub's.
    ...inputVariables({ 'oidc-issuer': oidc.issuer }),
    ...(idToken
      ? { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken }
      : {}),
  };
}

/** `INPUT_<NAME>`: the runner upper-cases the name and turns spaces into `_`, keeping dashes. */
export function inputVariables(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]));
}

/**
 * Parses a GITHUB_OUTPUT file: `name<<DELIMITER` … `DELIMITER` blocks (what `@actions/core`
 * writes) and plain `name=value` lines.
 * @throws Error on an unterminated block
 */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const block = /^([^=<]+)<<(.+)$/.exec(line);
    if (block) {
      const end = lines.indexOf(block[2]!, i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: block "${block[1]}" is not terminated`);
      out[block[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

/** Messages of `::name::message` (or `::name key=v::message`) commands on stdout, unescaped. */
function workflowCommands(stdout: string, name: string): string[] {
  const re = new RegExp(`^::${name}(?: [^:]*)?::(.*)$`, 'gm');
  return [...stdout.matchAll(re)].map((m) => m[1]!.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'));
}

async function startRegistry(
  choice: RegistryChoice,
  install: boolean,
  log: (l: string) => void,
  stoppers: Array<() => Promise<void>>,
): Promise<StackRegistry> {
  let useDistribution = choice === 'distribution' || (choice === 'auto' && existsSync(DISTRIBUTION_BINARY));
  if (choice === 'auto' && !useDistribution && install && canAptInstall()) useDistribution = aptInstallRegistry(log);
  if (useDistribution) {
    const d: Distribution = await startDistribution({ mode: 'plain' });
    stoppers.push(() => d.stop());
    return {
      kind: 'distribution',
      host: d.host,
      description: `CNCF distribution (${DISTRIBUTION_BINARY}), no referrers API: signatures go through the OCI 1.1 fallback tag`,
    };
  }
  const fake = await startOciRegistry();
  stoppers.push(() => fake.close());
  return {
    kind: 'in-process',
    host: fake.host,
    fake,
    description: `in-process OCI 1.1 registry with the referrers API${existsSync(DISTRIBUTION_BINARY) ? '' : ' (install docker-registry to use the real one)'}`,
  };
}

function canAptInstall(): boolean {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return false;
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(release);
}

/** Installs the Debian package; refreshes the package lists once when the first attempt fails. */
function aptInstallRegistry(log: (l: string) => void): boolean {
  log('docker-registry is not installed; running: apt-get install -y docker-registry');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'docker-registry'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (install()) return existsSync(DISTRIBUTION_BINARY);
  log('apt-get install failed; running apt-get update and trying once more');
  spawnSync('apt-get', ['update'], { stdio: 'ignore' });
  if (install() && existsSync(DISTRIBUTION_BINARY)) return true;
  log('could not install docker-registry; using the in-process registry instead');
  return false;
}

/** Runs node on a script with exactly `env` (nothing inherited: no real runner variables leak in). */
function runChild(
  children: Set<ChildProcess>,
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** The four bundles `scripts/build.mjs` writes. */
const DIST_FILES = ['index.js', 'verify.js', 'cli.js', 'lib.js'];
/** What dist/ is built from: the sources, the build script and its options, the locked dependencies. */
const BUILD_INPUTS = ['src', 'scripts/build.mjs', 'scripts/build-options.mjs', 'package-lock.json'];
/** Records which inputs produced which dist/ (ignored by git, like all of .tmp). */
const STAMP = '.tmp/dist-stamp.json';

/**
 * Whether dist/ must be rebuilt: `missing`, `stale` (older than src/, or not the build of the
 * current sources), or `fresh`. Modification times alone are not enough: a checkout can make
 * an old dist/ newer than src/ (or give both the same time on coarse file systems), so the last
 * build also records hashes of its inputs and outputs, and a dist/ this machine did not build
 * from the current sources counts as stale.
 * @throws never for a missing or unreadable stamp (that is `stale`)
 */
export function distState(root: string): 'missing' | 'stale' | 'fresh' {
  const files = DIST_FILES.map((f) => path.join(root, 'dist', f));
  if (!files.every((f) => existsSync(f))) return 'missing';
  const built = Math.min(...files.map((f) => statSync(f).mtimeMs));
  if (newestMtime(path.join(root, 'src')) > built) return 'stale';
  try {
    const stamp = JSON.parse(readFileSync(path.join(root, STAMP), 'utf8')) as { inputs?: string; dist?: string };
    return stamp.inputs === treeHash(root, BUILD_INPUTS) && stamp.dist === treeHash(root, ['dist']) ? 'fresh' : 'stale';
  } catch {
    return 'stale';
  }
}

function newestMtime(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newestMtime(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs,
    ),
  );
}

/** SHA-256 over the relative paths and contents of the files under `entries`, in sorted order. */
function treeHash(root: string, entries: readonly string[]): string {
  const h = createHash('sha256');
  const visit = (rel: string): void => {
    const full = path.join(root, rel);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full).sort()) visit(path.join(rel, name));
      return;
    }
    const bytes = readFileSync(full);
    h.update(`${rel}\0${bytes.length}\0`).update(bytes);
  };
  for (const e of entries) visit(e);
  return h.digest('hex');
}

/**
 * Rebuilds dist/ with `scripts/build.mjs` (what `npm run build` runs) in a child process and
 * records the stamp.
 * @throws Error with the build's output when it fails
 */
export function buildDist(root: string): void {
  const inputs = treeHash(root, BUILD_INPUTS);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
  mkdirSync(path.join(root, path.dirname(STAMP)), { recursive: true });
  writeFileSync(path.join(root, STAMP), JSON.stringify({ inputs, dist: treeHash(root, ['dist']) }));
}

/** Rebuilds dist/ when it is missing or stale; returns what it found. */
export function ensureDist(root: string): 'missing' | 'stale' | 'fresh' {
  const state = distState(root);
  if (state !== 'fresh') buildDist(root);
  return state;
}
