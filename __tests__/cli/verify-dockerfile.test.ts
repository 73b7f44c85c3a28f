/**
 * `verify --dockerfile` against the real registry: every external image of the build (after ARG
 * and build-arg substitution, only the target's stages) verified; `--pin`/`--write` pin exactly
 * the digests verified; an unsigned base fails naming it and pins nothing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cli, startConsumerStack, withRegistry, type ConsumerStack } from './consumer-stack.js';

withRegistry('verify --dockerfile', () => {
  let s: ConsumerStack;
  let host: string;
  let file: string;
  let text: string;
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    s = await startConsumerStack();
    host = s.registry.host;
    for (const [repository, tag] of [
      ['acme/base', '1'],
      ['acme/builder', '2'],
      ['acme/tools', '3'],
      ['acme/unsigned', '1'],
    ] as const) {
      digests[repository] = (await s.push({ repository, tag })).digest;
    }
    await s.sign([`${host}/acme/base:1`, `${host}/acme/builder:2`, `${host}/acme/tools:3`]);
    file = path.join(s.dir, 'Dockerfile');
    text = [
      `ARG BASE=${host}/acme/base`,
      `FROM ${host}/acme/builder:2 AS build`,
      'RUN make',
      `FROM \${BASE}:1`,
      'COPY --from=build /out /app',
      `FROM ${host}/acme/unsigned:1 AS lint`,
      '',
    ].join('\n');
    await writeFile(file, text);
  }, 120_000);
  afterAll(() => s?.stop());

  describe('when the last stage builds on an unsigned image', () => {
    it('fails naming it; a stage the target does not need is named on stderr', async () => {
      const r = await cli('verify', '--dockerfile', file, ...s.trustFlags);
      expect(r.code).toBe(1);
      expect(r.out.trim().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^FAIL {2}${host}/acme/unsigned:1 `)),
      ]);
      expect(r.err).toContain(`${host}/acme/builder:2 not verified: its stage is not needed`);
    });
  });

  describe('with a two-stage Dockerfile and an ARG-parameterised base', () => {
    let two: string;
    beforeAll(async () => {
      two = path.join(s.dir, 'Dockerfile.two');
      await writeFile(two, text.split('\n').slice(0, 5).join('\n') + '\n');
    });

    it('passes with a line per base', async () => {
      const r = await cli('verify', '--dockerfile', two, ...s.trustFlags);
      const lines = r.out.trim().split('\n');
      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^PASS {2}${host}/acme/builder:2 {2}${digests['acme/builder']}`)),
        expect.stringMatching(new RegExp(`^PASS {2}${host}/acme/base:1 {2}${digests['acme/base']}`)),
      ]);
      expect(r.code).toBe(0);
    });

    it('--pin prints the Dockerfile pinned to exactly the digests verified', async () => {
      const r = await cli('verify', '--dockerfile', two, '--pin', ...s.trustFlags);
      expect(r.code).toBe(0);
      expect(r.out).toBe(
        [
          `ARG BASE=${host}/acme/base`,
          `FROM ${host}/acme/builder:2@${digests['acme/builder']} AS build`,
          'RUN make',
          `FROM ${host}/acme/base:1@${digests['acme/base']}`,
          'COPY --from=build /out /app',
          '',
        ].join('\n'),
      );
      expect(r.err).toContain(`PASS  ${host}/acme/base:1`);
    });

    it('--write writes it back, and the pinned file verifies again', async () => {
      const copy = path.join(s.dir, 'Dockerfile.write');
      await writeFile(copy, await readFile(two));
      expect((await cli('verify', '--dockerfile', copy, '--write', ...s.trustFlags)).code).toBe(0);
      const pinned = await readFile(copy, 'utf8');
      expect(pinned).toContain(`${host}/acme/base:1@${digests['acme/base']}`);
      const again = await cli('verify', '--dockerfile', copy, ...s.trustFlags);
      expect(again.code).toBe(0);
      expect(again.out).toContain(`PASS  ${host}/acme/base:1@${digests['acme/base']}`);
    });

    describe('when a build arg swaps in an unsigned base', () => {
      it('fails naming it, and --pin prints no Dockerfile', async () => {
        const r = await cli(
          'verify',
          '--dockerfile',
          two,
          '--build-arg',
          `BASE=${host}/acme/unsigned`,
          '--pin',
          ...s.trustFlags,
        );
        expect(r.code).toBe(1);
        expect(r.out).toBe('');
        expect(r.err).toMatch(new RegExp(`FAIL {2}${host}/acme/unsigned:1 `));
        expect(r.err).toMatch(new RegExp(`PASS {2}${host}/acme/builder:2 `));
      });
    });

    it('--target verifies only the stages it needs', async () => {
      const r = await cli('verify', '--dockerfile', two, '--target', 'build', ...s.trustFlags);
      expect(r.out.trim().split('\n')).toEqual([expect.stringContaining(`${host}/acme/builder:2`)]);
      expect(r.code).toBe(0);
    });
  });

  describe('with COPY --from and RUN --mount images', () => {
    it('verifies them too', async () => {
      const f = path.join(s.dir, 'Dockerfile.copy');
      await writeFile(
        f,
        `FROM scratch\nCOPY --from=${host}/acme/tools:3 /t /t\nRUN --mount=type=bind,from=${host}/acme/unsigned:1,target=/u true\n`,
      );
      const r = await cli('verify', '--dockerfile', f, ...s.trustFlags);
      expect(r.out).toMatch(new RegExp(`PASS {2}${host}/acme/tools:3 `));
      expect(r.out).toMatch(new RegExp(`FAIL {2}${host}/acme/unsigned:1 `));
      expect(r.code).toBe(1);
    });
  });

  describe('usage', () => {
    it.each([
      [['--dockerfile', 'x', 'img:1'], '--dockerfile takes no IMAGE'],
      [['img:1', '--pin'], 'go with --dockerfile'],
      [['--dockerfile', 'x', '--pin', '--write'], 'cannot be used together'],
      [['--dockerfile', 'x', '--platform', 'linux/amd64', '--platform', 'linux/arm64'], 'one --platform'],
      [['--dockerfile', 'x', '--build-arg', '=v'], '--build-arg takes NAME=VALUE'],
    ])('refuses %j', async (argv, message) => {
      const r = await cli('verify', ...argv, ...s.trustFlags);
      expect(r).toMatchObject({ code: 2, err: expect.stringContaining(message) });
    });

    it('fails with DOCKERFILE_UNREADABLE for a missing file', async () => {
      const r = await cli('verify', '--dockerfile', path.join(s.dir, 'nope'), ...s.trustFlags);
      expect(r).toMatchObject({ code: 1, err: expect.stringContaining('DOCKERFILE_UNREADABLE') });
    });

    it('fails with DOCKERFILE_TARGET_UNKNOWN for an unknown stage', async () => {
      const r = await cli('verify', '--dockerfile', file, '--target', 'nope', ...s.trustFlags);
      expect(r).toMatchObject({ code: 1, err: expect.stringContaining('DOCKERFILE_TARGET_UNKNOWN') });
    });
  });
});
