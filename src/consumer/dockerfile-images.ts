/**
 * From a parsed Dockerfile to what to verify and what to pin: each external image once, with
 * every platform the build pulls it for, and the pins made of exactly the digests verified
 * (see docs/consumer.md).
 */
import { readFile, stat } from 'node:fs/promises';
import type { Digest } from '../core/digest.js';
import { MAX_DOCKERFILE_BYTES } from '../core/limits.js';
import type { ParsedDockerfile } from './dockerfile.js';
import { ConsumerError } from './errors.js';

/** One image to verify for a Dockerfile: its reference as written and the platforms pulled. */
export interface DockerfileImage {
  image: string;
  platforms: string[];
}

/**
 * The external images the target needs, each once (by reference as written), in file order.
 * @throws never
 */
export function dockerfileImages(parsed: ParsedDockerfile): DockerfileImage[] {
  const byRef = new Map<string, DockerfileImage>();
  for (const b of parsed.bases) {
    const entry = byRef.get(b.ref) ?? { image: b.ref, platforms: [] };
    if (!entry.platforms.includes(b.platform)) entry.platforms.push(b.platform);
    byRef.set(b.ref, entry);
  }
  return [...byRef.values()];
}

/**
 * The pins for `pinDockerfile`: the digest each image's verification resolved its reference to.
 * @throws never
 */
export function pinsOf(verified: readonly { image: string; digest: Digest }[]): Map<string, Digest> {
  return new Map(verified.map((v) => [v.image, v.digest]));
}

/**
 * Reads a Dockerfile, refusing one past MAX_DOCKERFILE_BYTES before reading it.
 * @throws ConsumerError DOCKERFILE_TOO_LARGE | DOCKERFILE_UNREADABLE
 */
export async function readDockerfile(file: string): Promise<string> {
  try {
    if ((await stat(file)).size > MAX_DOCKERFILE_BYTES) {
      throw new ConsumerError({
        code: 'DOCKERFILE_TOO_LARGE',
        message: `${file} is larger than ${MAX_DOCKERFILE_BYTES} bytes; is it really a Dockerfile?`,
      });
    }
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ConsumerError) throw err;
    throw new ConsumerError({
      code: 'DOCKERFILE_UNREADABLE',
      cause: err,
      message: `Dockerfile ${file} cannot be read; check the path (--dockerfile)`,
    });
  }
}
