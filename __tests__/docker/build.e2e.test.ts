/**
 * `docker opk build` end to end with the real Docker CLI and daemon (classic builder): a
 * Dockerfile with two external stages, one of them an ARG-parameterised base, and `scratch`
 * builds when its bases are signed, on the pinned digests; it is refused, naming the base, when a
 * build arg swaps in an unsigned one, and nothing is built or pulled.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  describeWithDocker,
  docker,
  installPluginHome,
  requireDocker,
  type PluginHome,
  type Ran,
} from './docker-harness.js';
import { goMissing, startSigningWorld, type PushedImage, type SigningWorld } from './signed-images.js';

describeWithDocker('docker opk build', () => {
  let home: PluginHome;
  let world: SigningWorld;
  let base: PushedImage;
  let tools: PushedImage;
  let unsigned: PushedImage;
  let context: string;
  let tag: string;

  beforeAll(async () => {
    requireDocker();
    const noGo = goMissing();
    if (noGo) throw new Error(`the docker end-to-end tests need ${noGo}`);
    [home, world] = await Promise.all([installPluginHome(), startSigningWorld()]);
    home.env.DOCKER_BUILDKIT = '0'; // the classic builder: no network, plain build output
    base = await world.push('acme/base', 'v1', 'base');
    tools = await world.push('acme/tools', 'v1', 'tools');
    unsigned = await world.push('acme/unsigned-base', 'v1', 'unsigned');
    await world.sign(base);
    await world.sign(tools);
    tag = `opk-test-built-${world.host.split(':')[1]}`;
    context = mkdtempSync(path.join(os.tmpdir(), 'opk-build-context-'));
    writeFileSync(
      path.join(context, 'Dockerfile'),
      [
        '# two external stages, one ARG-parameterised, and scratch',
        `ARG BASE=${base.ref}`,
        'FROM ${BASE} AS builder',
        `from ${tools.ref} as tools`,
        'FROM scratch',
        'COPY --from=builder /hello /hello',
        'COPY --from=tools /seed.txt /tools-seed.txt',
        'CMD ["/hello", "built"]',
        '',
      ].join('\n'),
    );
  }, 180_000);

  afterAll(async () => {
    if (home) {
      const images = [base, tools, unsigned].filter(Boolean).flatMap((i) => [i.ref, `${i.name}@${i.digest}`]);
      await docker(home, 'image', 'rm', '-f', `${tag}:ok`, `${tag}:file`, `${tag}:bad`, ...images);
    }
    home?.remove();
    if (context) rmSync(context, { recursive: true, force: true });
    await world?.stop();
  }, 60_000);

  const opk = (...args: string[]): Promise<Ran> => docker(home, 'opk', ...args);

  describe('when every base is signed', () => {
    it('builds on the pinned digests and the image runs', async () => {
      const r = await opk('build', ...world.trustFlags(), '-t', `${tag}:ok`, context);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(r.stderr).toContain(`verified ${base.ref} = ${base.name}@${base.digest}`);
      expect(r.stderr).toContain(`verified ${tools.ref} = ${tools.name}@${tools.digest}`);
      // The build output shows the FROM lines docker used: pinned, the ARG already substituted.
      expect(r.stdout).toContain(`FROM ${base.ref}@${base.digest} AS builder`);
      expect(r.stdout).toContain(`from ${tools.ref}@${tools.digest} as tools`);
      const ran = await docker(home, 'run', '--rm', '--network', 'none', `${tag}:ok`);
      expect(ran).toMatchObject({ code: 0, stdout: 'opk-hello built\n' });
    });
  });

  describe('when a build arg swaps in an unsigned base', () => {
    it('is refused naming that base, and nothing is built or pulled', async () => {
      const r = await opk(
        'build',
        ...world.trustFlags(),
        '--build-arg',
        `BASE=${unsigned.ref}`,
        '-t',
        `${tag}:bad`,
        context,
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`base image (Dockerfile line 3) ${unsigned.ref} (${unsigned.digest}) is NOT verified`);
      expect(r.stderr).toContain('no signatures found');
      expect(r.stderr).toContain('nothing was built');
      expect(r.stdout).not.toContain('Step 1');
      expect((await docker(home, 'image', 'inspect', `${tag}:bad`)).code).not.toBe(0);
      const local = await docker(home, 'images', '--digests', '--format', '{{.Digest}}', unsigned.name);
      expect(local.stdout.trim()).toBe('');
    });
  });

  describe('when the Dockerfile is given with -f from elsewhere', () => {
    it('checks that file and still builds on the pinned digests', async () => {
      const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'opk-build-file-'));
      try {
        const file = path.join(elsewhere, 'Containerfile');
        writeFileSync(file, `FROM ${base.ref}\nCMD ["/hello", "from-f"]\n`);
        const r = await opk('build', ...world.trustFlags(), '-qf', file, '-t', `${tag}:file`, context);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain(`verified ${base.ref} = ${base.name}@${base.digest}`);
        const ran = await docker(home, 'run', '--rm', '--network', 'none', `${tag}:file`);
        expect(ran.stdout).toBe('opk-hello from-f\n');
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    });
  });
});
