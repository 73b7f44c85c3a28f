/**
 * `docker opk pull [docker pull flags] IMAGE`: verify, then `docker pull NAME@DIGEST` and tag it
 * locally as IMAGE, as `DOCKER_CONTENT_TRUST=1 docker pull` did (docs/docker.md). When the image
 * does not verify nothing is pulled.
 */
import { captureDocker, runDocker, type DockerCli } from './docker-cli.js';
import { flagTokens, flagValues, type ScannedArgs } from './docker-flags.js';
import { DockerError } from './errors.js';
import { verifiedLines, verifyForDocker, type GateOptions, type VerifiedImage } from './gate.js';

/** What a wrapper needs besides its arguments. */
export interface WrapperContext {
  docker: DockerCli;
  gate: GateOptions;
  /** One line for the user (stderr). */
  log: (line: string) => void;
}

/**
 * Runs the pull wrapper on scanned arguments.
 * @returns docker's exit status
 * @throws DockerError DOCKER_ARGS_INVALID | DOCKER_NOT_VERIFIED | DOCKER_CLI_FAILED; OciError resolving the image
 */
export async function dockerPull(args: ScannedArgs, ctx: WrapperContext): Promise<number> {
  if (args.positionals.length !== 1) throw invalid('docker opk pull takes exactly one IMAGE');
  if (args.flags.some((f) => f.name === 'all-tags'))
    throw invalid('docker opk pull: --all-tags is not supported; pull each tag you mean to use by name');
  const v = await verifyForDocker(args.positionals[0]!, { ...ctx.gate, platforms: flagValues(args.flags, 'platform') });
  for (const line of verifiedLines(v)) ctx.log(line);
  const code = await runDocker(ctx.docker, ['pull', ...flagTokens(args.flags), v.pinned]);
  if (code !== 0) return code;
  const local = localName(v);
  if (local === undefined) return 0;
  const tagged = await captureDocker(ctx.docker, ['tag', v.pinned, local]);
  if (tagged.code !== 0) {
    throw new DockerError({
      code: 'DOCKER_CLI_FAILED',
      message: `pulled ${v.pinned} but "docker tag" to ${local} failed: ${tagged.stderr.trim()}`,
    });
  }
  ctx.log(`tagged ${v.pinned} as ${local}`);
  return 0;
}

/** The local name the user asked for: IMAGE itself, `NAME:TAG` when both tag and digest were written,
 *  nothing when only a digest was (docker cannot tag a digest reference). */
function localName(v: VerifiedImage): string | undefined {
  if (!v.image.includes('@')) return v.image;
  return v.tag === undefined ? undefined : `${v.name}:${v.tag}`;
}

function invalid(message: string): DockerError {
  return new DockerError({ code: 'DOCKER_ARGS_INVALID', message });
}
