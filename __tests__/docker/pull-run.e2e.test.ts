/**
 * `docker opk pull` and `docker opk run` end to end with the real Docker CLI and daemon, the CNCF
 * registry, the loopback OIDC endpoint and the Rekor test log: what verifies is pulled and run by
 * digest; what does not (unsigned, signed by an identity the policy does not allow, revoked) is
 * refused with the reason and never reaches the daemon; a tag moved after the check is not what
 * docker gets; with trust saved by `opk-attest trust use` the wrappers need no trust flag.
 */
import path from 'node:path';
import { getManifest, putManifest } from '../../src/oci/content-manifests.js';
import { createTransport } from '../../src/oci/transport/client.js';
import {
  describeWithDocker,
  docker,
  installPluginHome,
  opkAttest,
  requireDocker,
  type PluginHome,
  type Ran,
} from './docker-harness.js';
import { startMovingTagProxy, type MovingTagProxy } from './moving-tag-proxy.js';
import { goMissing, startSigningWorld, type PushedImage, type SigningWorld } from './signed-images.js';

describeWithDocker('docker opk pull and run', () => {
  let home: PluginHome;
  let world: SigningWorld;
  let signed: PushedImage;
  let unsigned: PushedImage;
  let otherSigner: PushedImage;
  let revoked: PushedImage;
  const pulled: string[] = [];

  beforeAll(async () => {
    requireDocker();
    const noGo = goMissing();
    if (noGo) throw new Error(`the docker end-to-end tests need ${noGo}`);
    [home, world] = await Promise.all([installPluginHome(), startSigningWorld()]);
    signed = await world.push('acme/app', 'v1', 'signed');
    unsigned = await world.push('acme/unsigned', 'v1', 'unsigned');
    otherSigner = await world.push('acme/other', 'v1', 'other');
    revoked = await world.push('acme/revoked', 'v1', 'revoked');
    await world.sign(signed);
    await world.sign(otherSigner, 'evil-org/evil-repo');
    await world.sign(revoked);
  }, 180_000);

  afterAll(async () => {
    // The daemon is shared: leave none of this suite's images behind.
    const refs = [signed, unsigned, otherSigner, revoked]
      .filter(Boolean)
      .flatMap((i) => [i.ref, `${i.name}@${i.digest}`]);
    if (home) await docker(home, 'image', 'rm', '-f', ...refs, ...pulled);
    home?.remove();
    await world?.stop();
  }, 60_000);

  const opk = (...args: string[]): Promise<Ran> => docker(home, 'opk', ...args);
  /** The digests the daemon holds for a repository (`docker images` shows what was pulled). */
  const localDigests = async (name: string): Promise<string[]> => {
    const r = await docker(home, 'images', '--digests', '--format', '{{.Digest}}', name);
    expect(r.code).toBe(0);
    return r.stdout.split('\n').filter((l) => l.startsWith('sha256:'));
  };

  describe('when the image is signed by the allowed identity', () => {
    it('pulls NAME@DIGEST, tags it as IMAGE and says which digest it verified', async () => {
      const r = await opk('pull', ...world.trustFlags(), signed.ref);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(r.stderr).toContain(`verified ${signed.ref} = ${signed.name}@${signed.digest}`);
      expect(r.stderr).toContain('signers: ci');
      const id = await docker(home, 'image', 'inspect', '--format', '{{join .RepoDigests ","}}', signed.ref);
      expect(id.stdout.trim()).toBe(`${signed.name}@${signed.digest}`);
    });

    it('runs the verified digest with the docker flags and arguments untouched', async () => {
      const r = await opk(
        'run',
        '--rm',
        '--network',
        'none',
        ...world.trustFlags(),
        '-e',
        'X=1',
        signed.ref,
        '/hello',
        'a b',
        '--rm',
      );
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 0,
        stdout: 'opk-hello a b --rm\n',
        stderr: expect.any(String),
      });
      expect(r.stderr).toContain(`verified ${signed.ref} = ${signed.name}@${signed.digest}`);
    });
  });

  describe.each([
    ['unsigned', () => unsigned, 'no signatures found'],
    [
      'signed by an identity the policy does not allow',
      () => otherSigner,
      'signed only by evil-org/evil-repo, which the policy does not allow',
    ],
    ['revoked', () => revoked, 'is revoked'],
  ])('when the image is %s', (_what, image, reason) => {
    it('is refused with the reason, and nothing is pulled or run', async () => {
      const flags = world.trustFlags({ revoked: [revoked.digest] });
      const pull = await opk('pull', ...flags, image().ref);
      expect(pull.code).toBe(1);
      expect(pull.stderr).toContain('DOCKER_NOT_VERIFIED');
      expect(pull.stderr).toContain(`${image().ref} (${image().digest}) is NOT verified`);
      expect(pull.stderr.toLowerCase()).toContain(reason);
      expect(pull.stderr).toContain('nothing was pulled');
      const run = await opk('run', '--rm', '--network', 'none', ...flags, image().ref);
      expect(run.code).toBe(1);
      expect(run.stdout).not.toContain('opk-hello');
      expect(await localDigests(image().name)).toEqual([]);
    });
  });

  describe('when the matching rule is at audit level', () => {
    it('warns with the violation and pulls', async () => {
      const r = await opk('pull', ...world.trustFlags({ level: 'audit' }), unsigned.ref);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('warning: audit-level policy, proceeding despite');
      expect(await localDigests(unsigned.name)).toEqual([unsigned.digest]);
      await docker(home, 'image', 'rm', '-f', unsigned.ref, `${unsigned.name}@${unsigned.digest}`);
    });
  });

  describe('when the tag moves to an unsigned image right after it was resolved', () => {
    let proxy: MovingTagProxy;
    afterAll(() => proxy?.close());

    it('pulls the digest that was verified, not what the tag points at now', async () => {
      const good = await world.push('acme/moving', 'v1', 'moving-good');
      const bad = await world.push('acme/moving', 'bad', 'moving-bad');
      await world.sign(good);
      proxy = await startMovingTagProxy(world.host, 'acme/moving', 'v1', async () => {
        const t = createTransport(world.host);
        try {
          const m = await getManifest(t, 'acme/moving', 'bad');
          await putManifest(t, 'acme/moving', m.bytes, m.mediaType, 'v1');
        } finally {
          await t.close();
        }
      });
      const ref = `${proxy.host}/acme/moving:v1`;
      pulled.push(ref, `${proxy.host}/acme/moving@${good.digest}`, `${proxy.host}/acme/moving@${bad.digest}`);
      const r = await opk('pull', ...world.trustFlags(), ref);
      expect(proxy.moved()).toBe(true);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`= ${proxy.host}/acme/moving@${good.digest}`);
      // The tag really moved: a plain pull by tag now would get the unsigned image.
      const t = createTransport(world.host);
      expect((await getManifest(t, 'acme/moving', 'v1')).digest).toBe(bad.digest);
      await t.close();
      expect(await localDigests(`${proxy.host}/acme/moving`)).toEqual([good.digest]);
      const local = await docker(home, 'image', 'inspect', '--format', '{{join .RepoDigests ","}}', ref);
      expect(local.stdout.trim()).toBe(`${proxy.host}/acme/moving@${good.digest}`);
    });
  });
  describe('when trust was saved with "opk-attest trust use" and no trust flag is given', () => {
    let userFile: string;

    beforeAll(async () => {
      // Earlier cases pulled the signed image: start from a daemon that does not hold it.
      await docker(home, 'image', 'rm', '-f', signed.ref, `${signed.name}@${signed.digest}`);
      expect(await localDigests(signed.name)).toEqual([]);
      const saved = await opkAttest(home, 'trust', 'use', ...world.trustFlags());
      userFile = path.join(home.xdgConfigHome, 'opk-attest', 'trust.json');
      expect({ code: saved.code, stderr: saved.stderr }).toEqual({ code: 0, stderr: '' });
      expect(saved.stdout).toContain(`saved to ${userFile}`);
    }, 60_000);

    it('still lets a trust flag win: a policy revoking the signed digest refuses it, pulling nothing', async () => {
      const r = await opk('pull', '--policy', revokingPolicy(), signed.ref);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${signed.ref} (${signed.digest}) is NOT verified`);
      expect(r.stderr).toContain('is revoked');
      expect(await localDigests(signed.name)).toEqual([]);
    });

    it('pulls a signed image with the saved trust, naming the file it came from', async () => {
      const r = await opk('pull', signed.ref);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`docker opk: trust from user file ${userFile}: `);
      expect(r.stderr).not.toContain('any identity');
      expect(r.stderr).toContain(`verified ${signed.ref} = ${signed.name}@${signed.digest}`);
      expect(await localDigests(signed.name)).toEqual([signed.digest]);
    });

    it('runs a signed image with the saved trust', async () => {
      const r = await opk('run', '--rm', '--network', 'none', signed.ref, '/hello', 'saved trust');
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: 'opk-hello saved trust\n' });
      expect(r.stderr).toContain(`docker opk: trust from user file ${userFile}: `);
      expect(r.stderr).toContain(`verified ${signed.ref} = ${signed.name}@${signed.digest}`);
    });

    it('refuses an unsigned image with the reason, and pulls nothing', async () => {
      const r = await opk('pull', unsigned.ref);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`docker opk: trust from user file ${userFile}: `);
      expect(r.stderr).toContain(`${unsigned.ref} (${unsigned.digest}) is NOT verified`);
      expect(r.stderr).toContain('no signatures found');
      expect(r.stderr).toContain('nothing was pulled [DOCKER_NOT_VERIFIED]');
      expect(await localDigests(unsigned.name)).toEqual([]);
    });

    /** The --policy file of a policy that revokes the signed image's digest (the other trust flags stay saved). */
    function revokingPolicy(): string {
      const flags = world.trustFlags({ revoked: [signed.digest] });
      return flags[flags.indexOf('--policy') + 1]!;
    }
  });
});
