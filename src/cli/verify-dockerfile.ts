/**
 * `verify --dockerfile PATH [--build-arg K=V]… [--target STAGE] [--platform P] [--pin|--write]`:
 * every external image the build pulls is resolved to a digest and verified; `--pin` prints the
 * Dockerfile pinned to exactly the digests verified, `--write` writes it back (see docs/consumer.md).
 */
import { writeFile } from 'node:fs/promises';
import {
  dockerfileImages,
  parseDockerfile,
  pinDockerfile,
  pinsOf,
  readDockerfile,
  type DockerfileOptions,
} from '../consumer/index.js';
import type { VerifyImageOptions } from '../verify/index.js';
import { UsageError } from './args.js';
import { printable } from './terminal-text.js';
import { outcomeJson, outcomeLine, passedOutcome, verifyAll } from './verify-many.js';

/** The flags of `verify` that concern a Dockerfile. */
export interface DockerfileFlags {
  dockerfile: string;
  'build-arg'?: string[];
  target?: string;
  platform?: string[];
  pin?: boolean;
  write?: boolean;
  json?: boolean;
}

/**
 * Verifies the Dockerfile's bases; prints one line each (on stderr with `--pin`, whose output is
 * the pinned Dockerfile); pins or writes only when every base passed.
 * @returns the exit status: 0 all verified, 1 any not
 * @throws UsageError CLI_USAGE; ConsumerError DOCKERFILE_* for a Dockerfile that does not parse
 */
export async function verifyDockerfile(
  f: DockerfileFlags,
  common: Omit<VerifyImageOptions, 'image' | 'platforms'>,
): Promise<number> {
  if (f.pin && f.write) throw new UsageError('--pin and --write cannot be used together');
  if ((f.platform?.length ?? 0) > 1) throw new UsageError('--dockerfile takes one --platform (the target platform)');
  const options: DockerfileOptions = {
    file: f.dockerfile,
    buildArgs: buildArgs(f['build-arg'] ?? []),
    ...(f.target === undefined ? {} : { target: f.target }),
    ...(f.platform?.[0] === undefined ? {} : { platform: f.platform[0] }),
  };
  const text = await readDockerfile(f.dockerfile);
  const parsed = parseDockerfile(text, options);
  for (const u of parsed.unused) {
    process.stderr.write(
      `opk-attest verify: ${printable(f.dockerfile)}:${u.line}: ${printable(u.ref)} not verified: its stage is not needed for the target (BuildKit does not pull it)\n`,
    );
  }
  const outcomes = await verifyAll(dockerfileImages(parsed), common);
  const report = f.json
    ? JSON.stringify(outcomes.map(outcomeJson), null, 2)
    : outcomes.map((o) => printable(outcomeLine(o))).join('\n');
  (f.pin ? process.stderr : process.stdout).write(outcomes.length === 0 ? '' : `${report}\n`);
  if (outcomes.length === 0)
    process.stderr.write(`opk-attest verify: ${printable(f.dockerfile)} pulls no external image\n`);
  if (!outcomes.every(passedOutcome)) return 1;
  if (f.pin || f.write) {
    const verified = outcomes.flatMap((o) => ('report' in o ? [{ image: o.image, digest: o.report.digest }] : []));
    const pinned = pinDockerfile(text, pinsOf(verified), options);
    if (f.pin) process.stdout.write(pinned);
    else await writeFile(f.dockerfile, pinned);
  }
  return 0;
}

/** `--build-arg K=V`; a bare `K` takes K from the environment, as `docker build` does. */
function buildArgs(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of values) {
    const eq = entry.indexOf('=');
    const name = eq === -1 ? entry : entry.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError('--build-arg takes NAME=VALUE');
    const value = eq === -1 ? process.env[name] : entry.slice(eq + 1);
    if (value !== undefined)
      Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
