/**
 * `inspectRepository` and `opk-attest inspect REPOSITORY` against the real registry (CNCF
 * distribution 2.8, no referrers API: signatures land in `sha256-…` fallback tags of the same
 * repository) with images signed by the real signing pipeline: every tag with its digest and
 * signers over a tag list of several pages (2.8 cannot page, so a spec-conforming paging proxy
 * sits in front), `--tags` filtering, unsigned and partly signed tags, the time budget, and the
 * one-line coded errors for a bad or unknown repository.
 */
import { Deadline } from '../../src/core/deadline.js';
import { getManifest, putManifest } from '../../src/oci/content-manifests.js';
import { publishReferrer } from '../../src/oci/referrers.js';
import { createTransport, type ClosableTransport } from '../../src/oci/transport/client.js';
import { inspectImage } from '../../src/verify/inspect.js';
import { inspectRepository, type RepositoryReport } from '../../src/verify/inspect-repository.js';
import { cli, startConsumerStack, withRegistry, type ConsumerStack } from '../cli/consumer-stack.js';
import { startFaultProxy, type FaultProxy } from '../fakes/fault-proxy.js';
import { startTagPagingProxy, type TagPagingProxy } from '../fakes/tag-paging-proxy.js';
import { pushBuildkitImage, SLSA_V1, SPDX } from '../fixtures/buildkit-image.js';

const SIGNER_REPOSITORY = 'octo-org/octo-repo';

withRegistry('inspect REPOSITORY', () => {
  let s: ConsumerStack;
  let t: ClosableTransport;
  let paging: TagPagingProxy;
  let repo: string;
  /** Digest of each image tag. */
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    s = await startConsumerStack();
    t = createTransport(s.registry.host);
    repo = `${s.registry.host}/acme/app`;
    for (const [tag, seed] of [
      ['1.0', 'a'],
      ['1.1', 'b'],
      ['2.0', 'c'],
    ] as const) {
      digests[tag] = (await s.push({ repository: 'acme/app', tag, seed })).digest;
    }
    await s.sign([`${repo}:1.0`, `${repo}:2.0`]);
    // `latest` is 1.0 under another name; `2.0-partial` has an annotated signature on one platform only.
    const m = await getManifest(t, 'acme/app', digests['1.0']!);
    await putManifest(t, 'acme/app', m.bytes, m.mediaType, 'latest');
    digests['latest'] = digests['1.0']!;
    const partial = await pushBuildkitImage(t, { repository: 'acme/app', tag: '2.0-partial', seed: 'd' });
    digests['2.0-partial'] = partial.digest;
    await publishReferrer(
      t,
      {
        repository: 'acme/app',
        subject: partial.platforms[0]!.manifest,
        artifactType: 'application/vnd.in-toto.spdx+dsse',
        layers: [{ mediaType: 'application/vnd.in-toto.spdx+dsse', data: Buffer.from('{}') }],
        annotations: {
          'in-toto.io/predicate-type': SPDX,
          'dev.opk-attest.signer.issuer': s.oidc.issuer,
          'dev.opk-attest.signer.subject': 'repo:qa-org/qa:ref:refs/heads/main',
          'dev.opk-attest.signer.repository': 'qa-org/qa',
        },
      },
      { settleMs: 1 },
    );
    paging = await startTagPagingProxy(s.registry.host);
  }, 120_000);
  afterAll(async () => {
    await paging?.close();
    await t?.close();
    await s?.stop();
  });

  const IMAGE_TAGS = ['1.0', '1.1', '2.0', '2.0-partial', 'latest'];
  /** Signed: 1.0 and 2.0 on 2 platforms each, 2.0-partial on one: a fallback tag per signed platform. */
  const FALLBACK_TAGS = 5;

  describe('inspectRepository', () => {
    describe('when the tag list spans several pages', () => {
      let report: RepositoryReport;
      beforeAll(async () => {
        const before = paging.tagListRequests.length;
        report = await inspectRepository({ repository: `${paging.host}/acme/app`, pageSize: 2 });
        // 10 tags, 2 a page: 5 pages.
        expect(paging.tagListRequests.length - before).toBe(5);
      }, 60_000);

      it('lists every image tag with the digest it points at, hiding the fallback tags', () => {
        expect(report.tags.map((x) => [x.tag, x.digest])).toEqual(IMAGE_TAGS.map((tag) => [tag, digests[tag]]));
        expect({ listed: report.listed, hidden: report.hidden, filteredOut: report.filteredOut }).toEqual({
          listed: IMAGE_TAGS.length + FALLBACK_TAGS,
          hidden: FALLBACK_TAGS,
          filteredOut: 0,
        });
      });

      it('says which tags are signed, partly signed and unsigned', () => {
        expect(Object.fromEntries(report.tags.map((x) => [x.tag, x.status]))).toEqual({
          '1.0': 'signed',
          '1.1': 'unsigned',
          '2.0': 'signed',
          '2.0-partial': 'partly-signed',
          latest: 'signed',
        });
      });

      it('names who signed what on which platforms', () => {
        const one = report.tags.find((x) => x.tag === '1.0')!;
        expect(one.signers).toHaveLength(1);
        expect(one.signers[0]!.signer).toMatchObject({ issuer: s.oidc.issuer, repository: SIGNER_REPOSITORY });
        expect([...one.signers[0]!.predicateTypes].sort()).toEqual([SLSA_V1, SPDX].sort());
        expect(one.signers[0]!.platforms).toEqual(['linux/amd64', 'linux/arm64']);
        const partial = report.tags.find((x) => x.tag === '2.0-partial')!;
        expect(partial.signers).toEqual([
          {
            signer: {
              issuer: s.oidc.issuer,
              subject: 'repo:qa-org/qa:ref:refs/heads/main',
              repository: 'qa-org/qa',
            },
            predicateTypes: [SPDX],
            platforms: ['linux/amd64'],
          },
        ]);
        expect(report.tags.find((x) => x.tag === '1.1')!.signers).toEqual([]);
      });
    });

    describe('when asked for all tags', () => {
      it('lists the fallback tags too', async () => {
        const r = await inspectRepository({ repository: repo, all: true, tags: 'sha256-*' });
        expect(r.tags).toHaveLength(FALLBACK_TAGS);
        expect(r.tags.every((x) => /^sha256-[0-9a-f]{64}$/.test(x.tag))).toBe(true);
        expect(r.hidden).toBe(0);
        for (const x of r.tags) {
          expect(x).toMatchObject({ status: 'fallback', subject: x.tag.replace('sha256-', 'sha256:') });
          expect(x.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        }
        // Each names a signed platform manifest of 1.0, 2.0 or 2.0-partial.
        const platforms = await Promise.all(
          ['1.0', '2.0', '2.0-partial'].map(async (tag) =>
            (await inspectImage({ image: `${repo}:${tag}` })).platforms.map((p) => p.digest),
          ),
        );
        expect(platforms.flat()).toEqual(expect.arrayContaining(r.tags.map((x) => x.subject)));
      }, 60_000);
    });

    describe('when the time budget runs out while a tag is read', () => {
      let faults: FaultProxy;
      afterAll(() => faults?.close());

      it('reports that tag and the ones not reached as skipped, not failed', async () => {
        faults = await startFaultProxy(s.registry.url);
        faults.add({ method: 'GET', path: /\/manifests\/1\.0$/, times: 10, fault: { kind: 'stall' } });
        const r = await inspectRepository({
          repository: `${faults.host}/acme/app`,
          tags: '1.*',
          concurrency: 1,
          registry: { deadline: new Deadline(3000, { setting: '--timeout' }) },
        });
        expect(r.tags.map((x) => [x.tag, x.status, x.error?.code])).toEqual([
          ['1.0', 'skipped', 'CORE_BUDGET_EXCEEDED'],
          ['1.1', 'skipped', 'CORE_BUDGET_EXCEEDED'],
        ]);
      }, 60_000);
    });

    describe('when given a reference with a tag', () => {
      it('throws OCI_REFERENCE_INVALID', async () => {
        await expect(inspectRepository({ repository: `${repo}:1.0` })).rejects.toMatchObject({
          code: 'OCI_REFERENCE_INVALID',
        });
      });
    });
  });

  describe('opk-attest inspect REPOSITORY', () => {
    it('prints a line per tag with its digest and status, and a line per signer', async () => {
      const r = await cli('inspect', repo);
      expect(r.code).toBe(0);
      const lines = r.out.split('\n');
      expect(lines[0]).toBe(
        `Tags of ${repo}: 5 tag(s) (of 10 listed; ${FALLBACK_TAGS} referrers fallback tag(s) hidden, --all shows them)`,
      );
      expect(lines).toContain(`1.0          ${digests['1.0']}  signed`);
      expect(lines).toContain(`1.1          ${digests['1.1']}  unsigned`);
      expect(lines).toContain(`2.0-partial  ${digests['2.0-partial']}  partly signed (1 of 2 platforms)`);
      expect(lines).toContain(
        `${' '.repeat(15)}by repo:qa-org/qa:ref:refs/heads/main (${s.oidc.issuer}) qa-org/qa: ${SPDX} (linux/amd64)`,
      );
      expect(r.out).toMatch(
        new RegExp(`by \\S+ \\(${s.oidc.issuer.replace(/[.:/]/g, '\\$&')}\\) ${SIGNER_REPOSITORY}`),
      );
      expect(r.out).not.toContain('sha256-');
      expect(r.out).toContain('unverified: "opk-attest verify IMAGE" checks them');
    }, 60_000);

    it('--tags GLOB shows only the matching tags', async () => {
      const r = await cli('inspect', repo, '--tags', '2.*');
      expect(r.code).toBe(0);
      expect(r.out.split('\n')[0]).toContain('2 tag(s) (of 10 listed; 3 not matching --tags "2.*"');
      expect(r.out).toMatch(/^2\.0 /m);
      expect(r.out).toMatch(/^2\.0-partial /m);
      expect(r.out).not.toMatch(/^1\.[01] /m);
      expect(r.out).not.toMatch(/^latest /m);
    }, 60_000);

    it('--json prints an object a script can read', async () => {
      const r = await cli('inspect', repo, '--tags', '1.*', '--json');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out);
      expect(j).toMatchObject({ repository: repo, filter: '1.*', listed: 10, hidden: FALLBACK_TAGS, filteredOut: 3 });
      expect(j.tags.map((x: { tag: string; digest: string; status: string }) => [x.tag, x.digest, x.status])).toEqual([
        ['1.0', digests['1.0'], 'signed'],
        ['1.1', digests['1.1'], 'unsigned'],
      ]);
      expect(j.tags[0].signers[0].signer.repository).toBe(SIGNER_REPOSITORY);
    }, 60_000);

    it('says when no tag matches', async () => {
      const r = await cli('inspect', repo, '--tags', 'nope*');
      expect(r.code).toBe(0);
      expect(r.out).toBe(
        `Tags of ${repo}: no tags shown (of 10 listed; 5 not matching --tags "nope*"; ${FALLBACK_TAGS} referrers fallback tag(s) hidden, --all shows them)\n`,
      );
    });

    it('is docker opk inspect too', async () => {
      const r = await cli('docker', 'plugin', 'opk', 'inspect', repo, '--tags', '1.1', '--json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).tags.map((x: { tag: string; status: string }) => [x.tag, x.status])).toEqual([
        ['1.1', 'unsigned'],
      ]);
    }, 60_000);

    describe.each([
      ['a repository name that is not valid', () => `${s.registry.host}/Acme/App`, 'OCI_REFERENCE_INVALID'],
      ['a repository the registry does not have', () => `${s.registry.host}/acme/nothing`, 'OCI_NOT_FOUND'],
    ])('when given %s', (_what, name, code) => {
      it(`exits 1 with one line naming it and ${code}`, async () => {
        const r = await cli('inspect', name());
        expect({ code: r.code, out: r.out }).toEqual({ code: 1, out: '' });
        expect(r.err.endsWith('\n')).toBe(true);
        expect(r.err.trimEnd().split('\n')).toHaveLength(1);
        expect(r.err).toMatch(new RegExp(`^opk-attest inspect: .*${name().split('/').pop()}.*\\[${code}\\]\\n$`));
      });
    });

    describe.each([['--tags', '1.*'], ['--all']])('when %s is given with IMAGE:TAG', (...flag) => {
      it('is a usage error', async () => {
        const r = await cli('inspect', `${repo}:1.0`, ...flag);
        expect(r.code).toBe(2);
        expect(r.err).toContain('--tags and --all list a REPOSITORY');
      });
    });
  });
});
