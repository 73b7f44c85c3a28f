/**
 * The verify sub-action's `dockerfile` input: the external images the build pulls (after ARG
 * defaults and `build-args`, only the `target`'s stages), verified like `image`, and the
 * Dockerfile pinned to exactly the digests verified (output `pinned-dockerfile`; docs/consumer.md).
 */
import * as core from '@actions/core';
import {
  dockerfileImages,
  parseDockerfile,
  pinDockerfile,
  pinsOf,
  readDockerfile,
  type DockerfileOptions,
} from '../consumer/index.js';
import type { VerifyReport } from '../verify/index.js';
import { InputError } from './inputs.js';

/** The Dockerfile inputs, parsed. */
export interface DockerfileInputs {
  path: string;
  buildArgs: Record<string, string>;
  target?: string;
}

/**
 * Reads inputs `dockerfile`, `build-args` (NAME=VALUE lines) and `target`.
 * @returns undefined when `dockerfile` is empty
 * @throws InputError INPUT_INVALID naming the input
 */
export function dockerfileInputs(): DockerfileInputs | undefined {
  const path = core.getInput('dockerfile');
  if (path === '') return undefined;
  const buildArgs: Record<string, string> = {};
  core.getMultilineInput('build-args').forEach((line, n) => {
    const eq = line.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(line.slice(0, eq))) {
      throw new InputError({ code: 'INPUT_INVALID', message: `build-args line ${n + 1} is not NAME=VALUE` });
    }
    Object.defineProperty(buildArgs, line.slice(0, eq), {
      value: line.slice(eq + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  const target = core.getInput('target');
  return { path, buildArgs, ...(target === '' ? {} : { target }) };
}

/**
 * The images to verify for the Dockerfile, and how to pin it once they are verified.
 * @throws ConsumerError DOCKERFILE_* for a Dockerfile that cannot be read or parsed
 */
export async function dockerfileJobs(i: { dockerfile?: DockerfileInputs; platforms: string[] }): Promise<
  | {
      jobs: { image: string; platforms: string[] }[];
      /** The pinned Dockerfile, from the reports of `jobs` in order. */
      pin(reports: readonly VerifyReport[]): string;
    }
  | undefined
> {
  if (i.dockerfile === undefined) return undefined;
  const options: DockerfileOptions = {
    file: i.dockerfile.path,
    buildArgs: i.dockerfile.buildArgs,
    ...(i.dockerfile.target === undefined ? {} : { target: i.dockerfile.target }),
    ...(i.platforms.length === 1 ? { platform: i.platforms[0]! } : {}),
  };
  const text = await readDockerfile(i.dockerfile.path);
  const parsed = parseDockerfile(text, options);
  for (const u of parsed.unused)
    core.info(`${i.dockerfile.path}:${u.line}: ${u.ref} not verified: its stage is not needed for the target`);
  const jobs = dockerfileImages(parsed);
  return {
    jobs,
    pin: (reports) =>
      pinDockerfile(text, pinsOf(jobs.map((j, n) => ({ image: j.image, digest: reports[n]!.digest }))), options),
  };
}
