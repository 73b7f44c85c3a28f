/**
 * The Dockerfile parser against real-world FROM shapes: each row is a Dockerfile (or its FROM
 * part), the build options, and every external image the build pulls, with kind, platform and line.
 */
import { parseDockerfile, type DockerfileOptions } from '../../src/consumer/dockerfile.js';
import { expectCode } from '../helpers.js';

const D1 = `sha256:${'a'.repeat(64)}`;

interface Row {
  name: string;
  text: string;
  options?: DockerfileOptions;
  /** `kind ref platform line` per base, in order. */
  bases: string[];
  unused?: string[];
}

const amd = 'linux/amd64';

const rows: Row[] = [
  { name: 'bare name', text: 'FROM alpine\n', bases: [`from alpine ${amd} 1`] },
  { name: 'name and tag', text: 'FROM alpine:3.19\nRUN apk add curl\n', bases: [`from alpine:3.19 ${amd} 1`] },
  { name: 'lower-case from', text: 'from ubuntu:22.04\nrun true\n', bases: [`from ubuntu:22.04 ${amd} 1`] },
  { name: 'mixed-case From and as', text: 'From node:20 as Deps\n', bases: [`from node:20 ${amd} 1`] },
  {
    name: 'registry with a port',
    text: 'FROM localhost:5000/team/base:1.0\n',
    bases: [`from localhost:5000/team/base:1.0 ${amd} 1`],
  },
  { name: 'IPv6 registry with a port', text: 'FROM [::1]:5000/app:2\n', bases: [`from [::1]:5000/app:2 ${amd} 1`] },
  {
    name: 'deep path on a public registry',
    text: 'FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build\n',
    bases: [`from mcr.microsoft.com/dotnet/sdk:8.0 ${amd} 1`],
  },
  { name: 'digest already pinned', text: `FROM alpine@${D1}\n`, bases: [`from alpine@${D1} ${amd} 1`] },
  {
    name: 'tag and digest',
    text: `FROM docker.io/library/alpine:3.19@${D1}\n`,
    bases: [`from docker.io/library/alpine:3.19@${D1} ${amd} 1`],
  },
  {
    name: '--platform=$BUILDPLATFORM cross-compile stage',
    text: 'FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN go build\nFROM scratch\nCOPY --from=build /app /app\n',
    options: { platform: 'linux/arm64' },
    bases: [`from golang:1.22 ${amd} 1`],
  },
  {
    name: '--platform=${TARGETPLATFORM}',
    text: 'FROM --platform=${TARGETPLATFORM} alpine:3\n',
    options: { platform: 'linux/arm64' },
    bases: ['from alpine:3 linux/arm64 1'],
  },
  {
    name: 'literal --platform with a variant',
    text: 'FROM --platform=linux/arm/v7 debian:bookworm-slim\n',
    bases: ['from debian:bookworm-slim linux/arm/v7 1'],
  },
  {
    name: 'no --platform follows the target platform',
    text: 'FROM alpine:3\n',
    options: { platform: 'linux/s390x' },
    bases: ['from alpine:3 linux/s390x 1'],
  },
  {
    name: 'ARG default before FROM',
    text: 'ARG VERSION=3.19\nFROM alpine:${VERSION}\n',
    bases: [`from alpine:3.19 ${amd} 2`],
  },
  {
    name: 'build arg overrides the ARG default',
    text: 'ARG VERSION=3.19\nFROM alpine:$VERSION\n',
    options: { buildArgs: { VERSION: '3.20' } },
    bases: [`from alpine:3.20 ${amd} 2`],
  },
  {
    name: 'ARG without default set by build arg',
    text: 'ARG BASE\nFROM ${BASE}\n',
    options: { buildArgs: { BASE: '127.0.0.1:5000/app:1' } },
    bases: [`from 127.0.0.1:5000/app:1 ${amd} 2`],
  },
  {
    name: 'undeclared build arg is not substituted into FROM defaults',
    text: 'ARG TAG=3\nFROM alpine:${TAG}\n',
    options: { buildArgs: { OTHER: 'x' } },
    bases: [`from alpine:3 ${amd} 2`],
  },
  { name: '${VAR:-default}', text: 'ARG TAG\nFROM alpine:${TAG:-latest}\n', bases: [`from alpine:latest ${amd} 2`] },
  {
    name: 'ARG defaults built from earlier ARGs',
    text: 'ARG REG=registry.example.com:8443\nARG IMG=${REG}/base\nFROM ${IMG}:2\n',
    bases: [`from registry.example.com:8443/base:2 ${amd} 3`],
  },
  {
    name: 'ARG after FROM does not change later FROMs',
    text: 'ARG V=1\nFROM alpine:3.${V}\nARG V=2\nFROM busybox:1.${V}\n',
    bases: [`from busybox:1.1 ${amd} 4`],
    unused: [`from alpine:3.1 ${amd} 2`],
  },
  {
    name: 'line continuations around FROM',
    text: 'FROM \\\n  --platform=linux/amd64 \\\n  node:20-alpine \\\n  AS deps\n',
    bases: [`from node:20-alpine ${amd} 3`],
  },
  {
    name: 'comment and empty line inside a continuation',
    text: 'FROM \\\n# the runtime base\n\n  python:3.12-slim\n',
    bases: [`from python:3.12-slim ${amd} 4`],
  },
  {
    name: 'continuation with trailing whitespace after the backslash',
    text: 'FROM \\   \n  alpine:3\n',
    bases: [`from alpine:3 ${amd} 2`],
  },
  {
    name: 'comments, indented comment and blank lines',
    text: '# build image\n\n   # indented comment\nFROM alpine:3 AS a\n\n',
    bases: [`from alpine:3 ${amd} 4`],
  },
  { name: 'CRLF line endings', text: 'ARG T=1\r\nFROM alpine:${T}\r\n', bases: [`from alpine:1 ${amd} 2`] },
  {
    name: '# syntax= frontend image',
    text: '# syntax=docker/dockerfile:1.7\nFROM alpine:3\n',
    bases: [`syntax docker/dockerfile:1.7 ${amd} 1`, `from alpine:3 ${amd} 2`],
  },
  {
    name: '#syntax with spaces and an escape directive (Windows)',
    text: '#syntax = docker/dockerfile:1\n# escape=`\nFROM `\n  mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir c:\\\n',
    bases: [`syntax docker/dockerfile:1 ${amd} 1`, `from mcr.microsoft.com/windows/servercore:ltsc2022 ${amd} 4`],
  },
  {
    name: 'directive after a comment is only a comment',
    text: '# hello\n# syntax=evil/frontend:1\nFROM alpine:3\n',
    bases: [`from alpine:3 ${amd} 3`],
  },
  {
    name: 'BUILDKIT_SYNTAX build arg replaces the directive',
    text: '# syntax=docker/dockerfile:1\nFROM alpine:3\n',
    options: { buildArgs: { BUILDKIT_SYNTAX: 'example.com/frontend:2' } },
    bases: [`syntax example.com/frontend:2 ${amd} 0`, `from alpine:3 ${amd} 2`],
  },
  {
    name: 'stage names are not images, case-insensitively',
    text: 'FROM node:20 AS Builder\nRUN npm ci\nFROM builder AS test\nFROM BUILDER\n',
    bases: [`from node:20 ${amd} 1`],
  },
  { name: 'scratch only', text: 'FROM scratch\nCOPY app /\n', bases: [] },
  {
    name: 'COPY --from an external image',
    text: 'FROM alpine:3\nCOPY --from=nginx:1.25 /etc/nginx/nginx.conf /\n',
    bases: [`from alpine:3 ${amd} 1`, `copy-from nginx:1.25 ${amd} 2`],
  },
  {
    name: 'COPY --from a stage index and a stage name',
    text: 'FROM golang:1.22 AS build\nFROM alpine:3\nCOPY --from=0 /a /a\nCOPY --from=BUILD /b /b\n',
    bases: [`from golang:1.22 ${amd} 1`, `from alpine:3 ${amd} 2`],
  },
  {
    name: 'RUN --mount from an external image',
    text: 'FROM alpine:3\nRUN --mount=type=bind,from=ghcr.io/acme/tools:1,source=/bin,target=/t /t/x\n',
    bases: [`from alpine:3 ${amd} 1`, `mount-from ghcr.io/acme/tools:1 ${amd} 2`],
  },
  {
    name: 'heredoc bodies are not instructions',
    text: 'FROM alpine:3\nRUN <<EOF\nFROM evil:1\nEOF\nCOPY <<-"END" /x\n\tFROM evil:2\n\tEND\n',
    bases: [`from alpine:3 ${amd} 1`],
  },
  {
    name: 'quoted image',
    text: 'FROM "alpine:3.19"\n',
    bases: [`from alpine:3.19 ${amd} 1`],
  },
  {
    name: 'the same image twice',
    text: 'FROM alpine:3 AS a\nFROM alpine:3\nCOPY --from=a /x /x\n',
    bases: [`from alpine:3 ${amd} 1`, `from alpine:3 ${amd} 2`],
  },
  {
    name: '--target prunes stages the target does not need',
    text: 'FROM golang:1.22 AS build\nFROM alpine:3 AS test\nFROM gcr.io/distroless/static:nonroot AS prod\nCOPY --from=build /app /\nFROM debian:12\n',
    options: { target: 'prod' },
    bases: [`from golang:1.22 ${amd} 1`, `from gcr.io/distroless/static:nonroot ${amd} 3`],
    unused: [`from alpine:3 ${amd} 2`, `from debian:12 ${amd} 5`],
  },
  {
    name: 'without --target the last stage decides',
    text: 'FROM golang:1.22 AS build\nFROM alpine:3 AS test\nFROM scratch\nCOPY --from=build /app /\n',
    bases: [`from golang:1.22 ${amd} 1`],
    unused: [`from alpine:3 ${amd} 2`],
  },
  {
    name: 'stage ARG and ENV feed COPY --from',
    text: 'ARG TOOLS=ghcr.io/acme/tools:1\nFROM alpine:3\nARG TOOLS\nENV SUFFIX=extra\nCOPY --from=${TOOLS}-${SUFFIX} /t /t\n',
    bases: [`from alpine:3 ${amd} 2`, `copy-from ghcr.io/acme/tools:1-extra ${amd} 5`],
  },
];

function show(b: { kind: string; ref: string; platform: string; line: number }): string {
  return `${b.kind} ${b.ref} ${b.platform} ${b.line}`;
}

describe('parseDockerfile', () => {
  it('covers at least 25 shapes', () => expect(rows.length).toBeGreaterThanOrEqual(25));

  describe.each(rows)('when the Dockerfile has $name', (row) => {
    it('returns exactly the external images the build pulls', () => {
      const parsed = parseDockerfile(row.text, { buildPlatform: amd, ...row.options });
      expect(parsed.bases.map(show)).toEqual(row.bases);
      expect(parsed.unused.map(show)).toEqual(row.unused ?? []);
    });

    it('marks each reference at its place in the text', () => {
      const parsed = parseDockerfile(row.text, { buildPlatform: amd, ...row.options });
      for (const b of [...parsed.bases, ...parsed.unused]) {
        if (b.start === undefined) continue;
        const token = row.text.slice(b.start, b.end).replace(/^"|"$/g, '');
        expect(token.includes('$') || token === b.ref).toBe(true);
      }
    });
  });

  it('normalises references', () => {
    const [b] = parseDockerfile('FROM alpine:3\n', { buildPlatform: amd }).bases;
    expect(b!.image).toEqual({ registry: 'docker.io', repository: 'library/alpine', tag: '3' });
  });

  it('reports stages with names, what they build on and whether they are needed', () => {
    const parsed = parseDockerfile('FROM golang:1 AS Build\nFROM scratch AS out\nFROM build\n', { buildPlatform: amd });
    expect(parsed.stages).toEqual([
      { index: 0, name: 'build', line: 1, from: { kind: 'image', ref: 'golang:1' }, needed: true },
      { index: 1, name: 'out', line: 2, from: { kind: 'scratch' }, needed: false },
      { index: 2, line: 3, from: { kind: 'stage', index: 0 }, needed: true },
    ]);
    expect(parsed.target).toBe(2);
  });

  it('defaults the build platform to this machine', () => {
    const [b] = parseDockerfile('FROM alpine\n').bases;
    expect(b!.platform).toMatch(/^[a-z0-9]+\/[a-z0-9]+/);
  });

  describe('when the Dockerfile is malformed', () => {
    const cases: [string, string, DockerfileOptions, string][] = [
      ['has no FROM', 'RUN true\n', {}, 'DOCKERFILE_INVALID'],
      ['is empty', '', {}, 'DOCKERFILE_INVALID'],
      ['FROM without an image', 'FROM\n', {}, 'DOCKERFILE_INVALID'],
      ['a trailing comment on FROM', 'FROM alpine # base\n', {}, 'DOCKERFILE_INVALID'],
      ['an unset ARG leaves no image', 'ARG BASE\nFROM ${BASE}\n', {}, 'DOCKERFILE_INVALID'],
      ['an upper-case repository', 'FROM Alpine:3\n', {}, 'DOCKERFILE_INVALID'],
      ['a bad --platform', 'FROM --platform=amd64 alpine\n', {}, 'DOCKERFILE_INVALID'],
      ['an unknown FROM flag', 'FROM --pull=always alpine\n', {}, 'DOCKERFILE_INVALID'],
      ['${A:?msg} with A unset', 'ARG A\nFROM alpine:${A:?required}\n', {}, 'DOCKERFILE_VARIABLE_UNSET'],
      ['${A#pattern}', 'ARG A=v3\nFROM alpine:${A#v}\n', {}, 'DOCKERFILE_VARIABLE_UNSUPPORTED'],
      ['an unterminated quote', 'FROM "alpine\n', {}, 'DOCKERFILE_INVALID'],
      ['an unknown --target', 'FROM alpine AS a\n', { target: 'b' }, 'DOCKERFILE_TARGET_UNKNOWN'],
      ['a stage name used twice', 'FROM alpine AS a\nFROM alpine AS A\n', {}, 'DOCKERFILE_INVALID'],
      ['an instruction before FROM', 'RUN true\nFROM alpine\n', {}, 'DOCKERFILE_INVALID'],
      ['the syntax directive twice', '# syntax=a/b\n# syntax=c/d\nFROM alpine\n', {}, 'DOCKERFILE_INVALID'],
      ['a bad escape directive', '# escape=x\nFROM alpine\n', {}, 'DOCKERFILE_INVALID'],
      ['more than 1 MiB', `FROM alpine\n${'#'.repeat(1024 * 1024)}\n`, {}, 'DOCKERFILE_TOO_LARGE'],
      ['more than 256 stages', 'FROM scratch\n'.repeat(257), {}, 'DOCKERFILE_TOO_LARGE'],
    ];
    it.each(cases)('throws when it has %s', (_name, text, options, code) =>
      expectCode(() => parseDockerfile(text, { buildPlatform: amd, ...options }), code),
    );
  });
});
