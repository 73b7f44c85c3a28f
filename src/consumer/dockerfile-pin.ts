/**
 * Rewrites a Dockerfile so that every external image it pulls is pinned to the digest that was
 * verified (`FROM alpine:3.19` → `FROM alpine:3.19@sha256:…`), and the build cannot resolve the
 * tag again to something else (see docs/consumer.md).
 */
import type { Digest } from '../core/digest.js';
import { parseDockerfile, type DockerfileBase, type DockerfileOptions } from './dockerfile.js';
import { ConsumerError } from './errors.js';

/**
 * `name:tag@digest` for a base as written: the tag is kept (`latest` when none was written, as
 * docker resolves it), a digest-only reference stays `name@digest`.
 * @throws ConsumerError DOCKERFILE_PIN_CONFLICT when the reference already names another digest
 */
export function pinnedReference(base: DockerfileBase, digest: Digest): string {
  if (base.image.digest !== undefined && base.image.digest !== digest) {
    throw new ConsumerError({
      code: 'DOCKERFILE_PIN_CONFLICT',
      message: `line ${base.line}: ${base.ref} is pinned to ${base.image.digest}, not the verified ${digest}; fix the pin`,
    });
  }
  const at = base.ref.indexOf('@');
  const nameAndTag = at === -1 ? base.ref : base.ref.slice(0, at);
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon !== -1 && colon > nameAndTag.lastIndexOf('/');
  if (hasTag || base.image.digest !== undefined) return `${nameAndTag}@${digest}`;
  return `${nameAndTag}:latest@${digest}`;
}

/**
 * The Dockerfile with each external image the target needs pinned to its digest in `pins`.
 * Images of stages the target does not need are pinned when `pins` has them, else left as they
 * are; a frontend given by the `BUILDKIT_SYNTAX` build arg has no place in the file and is left out.
 * @param text - the Dockerfile, as given to `parseDockerfile`
 * @param pins - digest per `DockerfileBase.ref` (the reference after substitution)
 * @param options - the same options as given to `parseDockerfile`
 * @returns the pinned Dockerfile; everything else byte for byte as it was
 * @throws ConsumerError DOCKERFILE_PIN_MISSING | DOCKERFILE_PIN_CONFLICT, and those of `parseDockerfile`
 */
export function pinDockerfile(
  text: string,
  pins: ReadonlyMap<string, Digest>,
  options: DockerfileOptions = {},
): string {
  const parsed = parseDockerfile(text, options);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const base of [...parsed.bases, ...parsed.unused]) {
    if (base.start === undefined || base.end === undefined) continue;
    const digest = pins.get(base.ref);
    if (digest === undefined) {
      if (parsed.unused.includes(base)) continue;
      throw new ConsumerError({
        code: 'DOCKERFILE_PIN_MISSING',
        message: `${options.file ?? 'Dockerfile'}:${base.line}: no verified digest for ${base.ref}; verify it first`,
      });
    }
    edits.push({ start: base.start, end: base.end, text: pinnedReference(base, digest) });
  }
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
