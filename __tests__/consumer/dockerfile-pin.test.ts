/** pinDockerfile: each external image the target needs is pinned to exactly the verified digest. */
import type { Digest } from '../../src/core/digest.js';
import { parseDockerfile } from '../../src/consumer/dockerfile.js';
import { pinDockerfile, pinnedReference } from '../../src/consumer/dockerfile-pin.js';
import { expectCode } from '../helpers.js';

const D1 = `sha256:${'a'.repeat(64)}` as Digest;
const D2 = `sha256:${'b'.repeat(64)}` as Digest;
const D3 = `sha256:${'c'.repeat(64)}` as Digest;
const D4 = `sha256:${'d'.repeat(64)}` as Digest;
const opts = { buildPlatform: 'linux/amd64', target: 'run' };

const dockerfile = [
  '# syntax=docker/dockerfile:1',
  'ARG BASE=127.0.0.1:5000/base',
  'FROM --platform=$BUILDPLATFORM \\',
  '    golang:1.22 AS build',
  'RUN go build',
  'from ${BASE}:1 as run',
  'COPY --from=build /app /app',
  'COPY --from=nginx /etc/nginx.conf /',
  'FROM alpine:3 AS unused',
  '',
].join('\n');

describe('pinDockerfile', () => {
  const pins = new Map<string, Digest>([
    ['docker/dockerfile:1', D1],
    ['golang:1.22', D2],
    ['127.0.0.1:5000/base:1', D3],
    ['nginx', D4],
  ]);

  describe('when every needed image has a digest', () => {
    it('pins each reference in place and leaves everything else byte for byte', () => {
      expect(pinDockerfile(dockerfile, pins, opts)).toBe(
        [
          `# syntax=docker/dockerfile:1@${D1}`,
          'ARG BASE=127.0.0.1:5000/base',
          'FROM --platform=$BUILDPLATFORM \\',
          `    golang:1.22@${D2} AS build`,
          'RUN go build',
          `from 127.0.0.1:5000/base:1@${D3} as run`,
          'COPY --from=build /app /app',
          `COPY --from=nginx:latest@${D4} /etc/nginx.conf /`,
          'FROM alpine:3 AS unused',
          '',
        ].join('\n'),
      );
    });

    it('gives a Dockerfile whose bases are exactly the pinned digests', () => {
      const again = parseDockerfile(pinDockerfile(dockerfile, pins, opts), opts);
      expect(again.bases.map((b) => b.image.digest)).toEqual([D1, D2, D3, D4]);
    });

    it('is idempotent', () => {
      const once = pinDockerfile(dockerfile, pins, opts);
      const again = new Map(parseDockerfile(once, opts).bases.map((b) => [b.ref, b.image.digest!]));
      expect(pinDockerfile(once, again, opts)).toBe(once);
    });

    it('pins images of unneeded stages too when it has their digest', () => {
      const out = pinDockerfile(dockerfile, new Map([...pins, ['alpine:3', D1]]), opts);
      expect(out).toContain(`FROM alpine:3@${D1} AS unused`);
    });
  });

  describe('when a needed image has no digest', () => {
    it('throws DOCKERFILE_PIN_MISSING', () =>
      expectCode(() => pinDockerfile(dockerfile, new Map([...pins].slice(1)), opts), 'DOCKERFILE_PIN_MISSING'));
  });

  describe('when a reference is already pinned to another digest', () => {
    it('throws DOCKERFILE_PIN_CONFLICT', () =>
      expectCode(
        () => pinDockerfile(`FROM alpine@${D1}\n`, new Map([[`alpine@${D1}`, D2]]), { buildPlatform: 'linux/amd64' }),
        'DOCKERFILE_PIN_CONFLICT',
      ));
  });

  describe('when the frontend comes from the BUILDKIT_SYNTAX build arg', () => {
    it('leaves it out (it has no place in the file)', () => {
      const o = { ...opts, buildArgs: { BUILDKIT_SYNTAX: 'example.com/fe:1' } };
      expect(
        pinDockerfile('FROM alpine:3\n', new Map([['alpine:3', D1]]), {
          buildPlatform: 'linux/amd64',
          buildArgs: o.buildArgs,
        }),
      ).toBe(`FROM alpine:3@${D1}\n`);
    });
  });
});

describe('pinnedReference', () => {
  const base = (ref: string) => parseDockerfile(`FROM ${ref}\n`, { buildPlatform: 'linux/amd64' }).bases[0]!;
  it.each([
    ['alpine', `alpine:latest@${D1}`],
    ['alpine:3', `alpine:3@${D1}`],
    ['localhost:5000/app', `localhost:5000/app:latest@${D1}`],
    ['localhost:5000/app:2', `localhost:5000/app:2@${D1}`],
    [`alpine@${D1}`, `alpine@${D1}`],
    [`alpine:3@${D1}`, `alpine:3@${D1}`],
  ])('pins %s as %s', (ref, want) => expect(pinnedReference(base(ref), D1)).toBe(want));
});
