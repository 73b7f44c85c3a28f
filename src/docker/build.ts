/**
 * `docker opk build [docker build flags] CONTEXT`: every external image the build pulls (FROM
 * lines with ARG defaults and `--build-arg` substituted, `# syntax=` frontends, `COPY --from` and
 * `RUN --mount from=` images) is resolved and verified, then `docker build` runs on a copy of the
 * Dockerfile with each of them pinned to the digest that was verified (docs/docker.md).
 *
 * The classic builder builds every stage up to the target, BuildKit only those the target needs,
 * so images of unneeded stages before the target are verified too; stages after it are built by
 * neither.
 */
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Digest } from '../core/digest.js';
import { MAX_DOCKERFILE_BYTES } from '../core/limits.js';
import { parseDockerfile, pinDockerfile, type DockerfileBase, type DockerfileOptions } from '../consumer/index.js';
import { runDocker } from './docker-cli.js';
import { flagValues, tokensWithout, type ScannedArgs } from './docker-flags.js';
import { DockerError } from './errors.js';
import { NotVerifiedError, verifiedLines, verifyForDocker } from './gate.js';
import type { WrapperContext } from './pull.js';

/**
 * Runs the build wrapper on scanned arguments (`BUILD_FLAGS`: one positional, CONTEXT).
 * @returns docker's exit status
 * @throws DockerError DOCKER_ARGS_INVALID | DOCKER_DOCKERFILE_UNREADABLE | DOCKER_NOT_VERIFIED (every
 *   base that failed, with reports) | DOCKER_CLI_FAILED; ConsumerError DOCKERFILE_* from the parser;
 *   OciError resolving a base
 */
export async function dockerBuild(args: ScannedArgs, ctx: WrapperContext): Promise<number> {
  const context = args.positionals[0]!;
  refuseUnverifiableInputs(args);
  const file = await locateDockerfile(context, flagValues(args.flags, 'file').at(-1));
  const text = await readDockerfile(file);
  const options = parseOptions(args, file, ctx.docker.env);
  const pins = await verifyBases(basesToVerify(text, options), file, ctx);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opk-build-'));
  try {
    const pinned = path.join(dir, 'Dockerfile');
    await writeFile(pinned, pinDockerfile(text, pins, options));
    await copyIgnoreFile(file, `${pinned}.dockerignore`);
    ctx.log(`building with ${file} pinned to the verified digests`);
    return await runDocker(ctx.docker, [
      'build',
      ...tokensWithout(args.flags, new Set(['file'])),
      '-f',
      pinned,
      context,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Inputs that would bring in images or a Dockerfile this wrapper cannot check. */
function refuseUnverifiableInputs(args: ScannedArgs): void {
  const platforms = flagValues(args.flags, 'platform').flatMap((p) => p.split(','));
  if (platforms.length > 1) throw invalid('docker opk build checks one --platform at a time; run it once per platform');
  for (const c of flagValues(args.flags, 'build-context')) {
    if (c.includes('docker-image://'))
      throw invalid(`--build-context ${c} brings in an image that is not checked; name it in a FROM line instead`);
  }
}

/** The Dockerfile docker would read: `-f FILE` (relative to the current directory), else CONTEXT/Dockerfile. */
async function locateDockerfile(context: string, file: string | undefined): Promise<string> {
  if (file === '-')
    throw unreadable('-f - (a Dockerfile on stdin) cannot be checked; write it to a file and give -f FILE');
  if (file !== undefined) return path.resolve(file);
  if (context === '-' || /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@')) {
    throw unreadable(
      `the Dockerfile of a remote or stdin context (${context}) cannot be checked; build from a local directory or give -f FILE`,
    );
  }
  for (const name of ['Dockerfile', 'dockerfile']) {
    const candidate = path.resolve(context, name);
    if (await isFile(candidate)) return candidate;
  }
  throw unreadable(`no Dockerfile in ${context}; give -f FILE`);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    // Missing or unreadable: not the Dockerfile docker would use either.
    return false;
  }
}

async function readDockerfile(file: string): Promise<string> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw unreadable(`${file} is not a file`);
    if (st.size > MAX_DOCKERFILE_BYTES)
      throw unreadable(`${file} is larger than ${MAX_DOCKERFILE_BYTES} bytes; is it really a Dockerfile?`);
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof DockerError) throw err;
    throw unreadable(`cannot read ${file}: ${(err as Error).message}`, err);
  }
}

/** `--build-arg K=V`, and `--build-arg K` taking K from the environment (skipped when unset), as docker does. */
function parseOptions(args: ScannedArgs, file: string, env: NodeJS.ProcessEnv): DockerfileOptions {
  const buildArgs: Record<string, string> = {};
  for (const entry of flagValues(args.flags, 'build-arg')) {
    const eq = entry.indexOf('=');
    const name = eq === -1 ? entry : entry.slice(0, eq);
    const value = eq === -1 ? env[entry] : entry.slice(eq + 1);
    if (value === undefined || name === '') continue;
    Object.defineProperty(buildArgs, name, { value, enumerable: true, writable: true, configurable: true });
  }
  const target = flagValues(args.flags, 'target').at(-1);
  const platform = flagValues(args.flags, 'platform').at(-1);
  return {
    buildArgs,
    file,
    ...(target === undefined ? {} : { target }),
    ...(platform === undefined ? {} : { platform }),
  };
}

/** The bases to verify: those the target needs, and those of earlier stages (the classic builder pulls them). */
function basesToVerify(text: string, options: DockerfileOptions): DockerfileBase[] {
  const parsed = parseDockerfile(text, options);
  return [...parsed.bases, ...parsed.unused.filter((b) => b.stage !== undefined && b.stage < parsed.target)];
}

/** Verifies each distinct base (reference and platform) and returns the digest per reference. */
async function verifyBases(
  bases: readonly DockerfileBase[],
  file: string,
  ctx: WrapperContext,
): Promise<Map<string, Digest>> {
  const pins = new Map<string, Digest>();
  const failed: NotVerifiedError[] = [];
  const seen = new Set<string>();
  for (const base of bases) {
    const key = `${base.ref} ${base.platform}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const what = `base image (${path.basename(file)} line ${base.line})`;
    try {
      const v = await verifyForDocker(base.ref, { ...ctx.gate, platforms: [base.platform] }, what);
      for (const line of verifiedLines(v)) ctx.log(line);
      const earlier = pins.get(base.ref);
      if (earlier !== undefined && earlier !== v.digest) {
        throw new DockerError({
          code: 'DOCKER_NOT_VERIFIED',
          message: `${base.ref} resolved to two digests during one check (${earlier}, ${v.digest}); the tag is moving, try again`,
        });
      }
      pins.set(base.ref, v.digest);
    } catch (err) {
      // Keep going: the refusal names every base that fails, not just the first.
      if (!(err instanceof NotVerifiedError)) throw err;
      failed.push(err);
    }
  }
  if (failed.length > 0) {
    throw new NotVerifiedError(
      failed.flatMap((e) => e.reports),
      failed.map((e) => e.message).join(' | '),
    );
  }
  return pins;
}

/** BuildKit reads `<Dockerfile>.dockerignore` beside the Dockerfile first; keep it beside the copy. */
async function copyIgnoreFile(file: string, to: string): Promise<void> {
  const from = `${file}.dockerignore`;
  if (await isFile(from)) await copyFile(from, to);
}

function invalid(message: string): DockerError {
  return new DockerError({ code: 'DOCKER_ARGS_INVALID', message: `docker opk build: ${message}` });
}

function unreadable(message: string, cause?: unknown): DockerError {
  return new DockerError({ code: 'DOCKER_DOCKERFILE_UNREADABLE', message, cause });
}
