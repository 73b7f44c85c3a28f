/**
 * `docker opk run [docker run flags] IMAGE [ARGS…]`: verify IMAGE, then `docker run` the verified
 * digest with every other flag and argument untouched (docs/docker.md).
 */
import { runDocker } from './docker-cli.js';
import { flagTokens, flagValues, type ScannedArgs } from './docker-flags.js';
import { DockerError } from './errors.js';
import { verifiedLines, verifyForDocker } from './gate.js';
import type { WrapperContext } from './pull.js';

/**
 * Runs the run wrapper on scanned arguments (`RUN_FLAGS`: IMAGE is the first positional).
 * @returns docker's exit status (the container's, as docker reports it)
 * @throws DockerError DOCKER_ARGS_INVALID | DOCKER_NOT_VERIFIED | DOCKER_CLI_FAILED; OciError resolving the image
 */
export async function dockerRun(args: ScannedArgs, ctx: WrapperContext): Promise<number> {
  const image = args.positionals[0];
  if (image === undefined)
    throw new DockerError({ code: 'DOCKER_ARGS_INVALID', message: 'docker opk run needs an IMAGE' });
  const v = await verifyForDocker(image, { ...ctx.gate, platforms: flagValues(args.flags, 'platform') });
  for (const line of verifiedLines(v)) ctx.log(line);
  return runDocker(ctx.docker, ['run', ...flagTokens(args.flags), v.pinned, ...args.rest]);
}
