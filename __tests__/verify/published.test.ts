/**
 * verifyPublished: the signer's check of what it pushed, on the bytes it holds plus one listing
 * read per subject. Images are signed for real by `signImagesWith` on the test registry (with and
 * without the referrers API), the loopback OIDC endpoint and the test Rekor log; then held
 * bytes and registry content are attacked, and each attack must be rejected with its code.
 */
import type { Digest } from '../../src/core/digest.js';
import { discoveryKeyFinder, githubActionsProvider } from '../../src/identity/index.js';
import { createTransport, publishReferrer, type ClosableTransport, type Descriptor } from '../../src/oci/index.js';
import { signImagesWith, type PublishedBytes, type SignImagesResult } from '../../src/sign/index.js';
import { createLogKeyring, LogPublicKey } from '../../src/tlog/index.js';
import { verifyPublished, type PublishedSubject, type TrustMaterial } from '../../src/verify/index.js';
import { newVerificationMemo } from '../../src/verify/verifier.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';

let oidc: GithubOidc;
let rekor: RekorLog;

beforeAll(async () => {
  oidc = await startGithubOidc();
  rekor = await startRekorLog();
});
afterAll(async () => {
  await Promise.all([oidc.close(), rekor.close()]);
});

function trust(issuers = [oidc.issuer]): TrustMaterial {
  return {
    issuers,
    findKey: discoveryKeyFinder(),
    logs: createLogKeyring([LogPublicKey.fromPem(rekor.publicKeyPem)]),
    commitmentClaims: { [oidc.issuer]: 'aud' },
  };
}

/** A signed two-platform image on a fresh registry, with the bytes the run pushed. */
interface Run {
  reg: OciRegistry;
  t: ClosableTransport;
  result: SignImagesResult;
  held: Map<string, PublishedBytes>;
  /** Each subject's referrers as publishing listed them after its writes. */
  listings: Map<string, readonly Descriptor[]>;
}

async function signed(referrersApi: boolean, repository: string): Promise<Run> {
  const reg = await startOciRegistry({ referrersApi });
  const t = createTransport(reg.host);
  const built = await pushBuildkitImage(t, { repository, seed: repository });
  const held = new Map<string, PublishedBytes>();
  const listings = new Map<string, Promise<readonly Descriptor[]>>();
  const announced: string[] = [];
  const result = await signImagesWith(
    {
      images: [`${reg.host}/${repository}@${built.digest}`],
      provider: githubActionsProvider({
        env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
        issuer: oidc.issuer,
        setSecret: () => {},
      }),
      transparencyLog: rekor.url,
    },
    {
      onPublishing: (batch, _signer, listing) => {
        batch.forEach(({ artifactDigest, bytes }) => held.set(artifactDigest, bytes));
        announced.push(...batch.map((a) => a.artifactDigest));
        listings.set(batch[0]!.subject, listing);
      },
    },
  );
  // What was announced as publishing started is exactly what was pushed.
  expect(announced.sort()).toEqual(result.signed.map((a) => a.artifactDigest).sort());
  const confirmed = new Map<string, readonly Descriptor[]>();
  for (const [subject, listing] of listings) confirmed.set(subject, await listing);
  return { reg, t, result, held, listings: confirmed };
}

async function done(r: Run): Promise<void> {
  await r.t.close();
  await r.reg.close();
}

/** The run's subjects, each artifact with the bytes held (or without, for `fetch`). */
function subjectsOf(r: Run, fetch: ReadonlySet<string> = new Set()): PublishedSubject[] {
  const by = new Map<string, PublishedSubject>();
  for (const a of r.result.signed) {
    const s = by.get(a.subject) ?? { repository: a.repository, subject: a.subject, via: a.via, artifacts: [] };
    const held = fetch.has(a.artifactDigest) ? undefined : r.held.get(a.artifactDigest);
    s.artifacts.push({ artifactDigest: a.artifactDigest, ...(held ? { held } : {}) });
    by.set(a.subject, s);
  }
  return [...by.values()];
}

describe('verifyPublished', () => {
  describe.each([
    ['the fallback tag', false],
    ['the referrers API', true],
  ])('when every artifact was published through %s and is held', (_, api) => {
    it('verifies all of them with one listing read per subject and reads none of them back', async () => {
      const r = await signed(api, `held/${api ? 'api' : 'tag'}`);
      try {
        const start = r.reg.requests.length;
        const check = await verifyPublished({
          transport: r.t,
          subjects: subjectsOf(r),
          trust: trust(),
          requireLog: true,
        });
        expect(check.rejected).toEqual([]);
        expect(check.verified.map((v) => v.artifactDigest).sort()).toEqual(
          r.result.signed.map((s) => s.artifactDigest).sort(),
        );
        expect(check.verified.every((v) => v.logIndex !== undefined && v.signer.issuer === oidc.issuer)).toBe(true);
        const seen = r.reg.requests.slice(start);
        expect(seen.map((q) => q.method)).toEqual(['GET', 'GET']); // two subjects, one read each
        expect(seen.every((q) => (api ? q.path.includes('/referrers/') : /\/manifests\/sha256-/.test(q.path)))).toBe(
          true,
        );
      } finally {
        await done(r);
      }
    });
  });

  describe.each([
    ['the fallback tag', false],
    ['the referrers API', true],
  ])('when publishing through %s hands over its confirming listing', (_, api) => {
    it('verifies against that listing and sends no request', async () => {
      const r = await signed(api, `listed/${api ? 'api' : 'tag'}`);
      try {
        expect([...r.listings.keys()].sort()).toEqual([...new Set(r.result.signed.map((a) => a.subject))].sort());
        const start = r.reg.requests.length;
        const subjects = subjectsOf(r).map((s) => ({ ...s, listing: r.listings.get(s.subject)! }));
        const check = await verifyPublished({ transport: r.t, subjects, trust: trust(), requireLog: true });
        expect(check.rejected).toEqual([]);
        expect(check.verified).toHaveLength(4);
        expect(r.reg.requests.slice(start)).toEqual([]);
      } finally {
        await done(r);
      }
    });

    it('verifies the held bytes while the listing is still on its way, the PK token and certificate once across calls', async () => {
      const r = await signed(api, `early/${api ? 'api' : 'tag'}`);
      try {
        const [first, second] = subjectsOf(r);
        let release = (_: readonly Descriptor[]): void => undefined;
        const pending = new Promise<readonly Descriptor[]>((resolve) => (release = resolve));
        const memo = newVerificationMemo();
        const options = { transport: r.t, trust: trust(), requireLog: true, memo };
        const check = verifyPublished({ ...options, subjects: [{ ...first!, listing: pending }] });
        // The run's PK token is verified before the listing has arrived.
        for (let i = 0; i < 200 && memo.tokens.size === 0; i++) await new Promise((r) => setTimeout(r, 5));
        await expect([...memo.tokens.values()][0]).resolves.toBeDefined();
        release(r.listings.get(first!.subject)!);
        expect((await check).verified).toHaveLength(2);
        const other = await verifyPublished({
          ...options,
          subjects: [{ ...second!, listing: r.listings.get(second!.subject)! }],
        });
        expect(other.verified).toHaveLength(2);
        // One token and one logged certificate for the whole run, each checked once.
        expect(memo.tokens.size).toBe(1);
        expect(memo.certificates.size).toBe(1);
      } finally {
        await done(r);
      }
    });

    it('rejects an artifact that listing lacks with VERIFY_NOT_LISTED', async () => {
      const r = await signed(api, `unlisted/${api ? 'api' : 'tag'}`);
      try {
        const gone = r.result.signed[0]!;
        const subjects = subjectsOf(r).map((s) => ({
          ...s,
          listing: r.listings.get(s.subject)!.filter((d) => d.digest !== gone.artifactDigest),
        }));
        const check = await verifyPublished({ transport: r.t, subjects, trust: trust(), requireLog: true });
        expect(check.rejected.map((x) => [x.artifactDigest, x.code])).toEqual([
          [gone.artifactDigest, 'VERIFY_NOT_LISTED'],
        ]);
      } finally {
        await done(r);
      }
    });
  });

  describe('when an artifact was published by an earlier run (nothing held)', () => {
    it('fetches it by its listed descriptor and verifies it', async () => {
      const r = await signed(false, 'held/fetch');
      try {
        const fetched = r.result.signed[0]!.artifactDigest;
        const start = r.reg.requests.length;
        const check = await verifyPublished({
          transport: r.t,
          subjects: subjectsOf(r, new Set([fetched])),
          trust: trust(),
          requireLog: true,
        });
        expect(check.rejected).toEqual([]);
        expect(check.verified).toHaveLength(4);
        const reads = r.reg.requests.slice(start).filter((q) => !/\/manifests\/sha256-/.test(q.path));
        expect(reads.map((q) => q.path.split('/').slice(-2)[0])).toEqual(['manifests', 'blobs']);
      } finally {
        await done(r);
      }
    });
  });

  describe('when a pushed artifact is not listed', () => {
    it('rejects it with VERIFY_NOT_LISTED and verifies the others', async () => {
      const r = await signed(false, 'held/unlisted');
      try {
        const gone = r.result.signed[0]!;
        const tag = `sha256-${gone.subject.slice(7)}`;
        const index = JSON.parse(r.reg.manifest(gone.repository, tag)!.toString());
        index.manifests = index.manifests.filter((d: { digest: string }) => d.digest !== gone.artifactDigest);
        r.reg.seedManifest(gone.repository, Buffer.from(JSON.stringify(index)), index.mediaType, { tag });
        const check = await verifyPublished({
          transport: r.t,
          subjects: subjectsOf(r),
          trust: trust(),
          requireLog: true,
        });
        expect(check.rejected.map((x) => [x.artifactDigest, x.code])).toEqual([
          [gone.artifactDigest, 'VERIFY_NOT_LISTED'],
        ]);
        expect(check.verified).toHaveLength(3);
      } finally {
        await done(r);
      }
    });
  });

  describe('when the held bytes are not those of the digest', () => {
    it('rejects the artifact with VERIFY_ARTIFACT_INVALID', async () => {
      const r = await signed(true, 'held/mismatch');
      try {
        const victim = r.result.signed[1]!.artifactDigest;
        const bytes = r.held.get(victim)!;
        const envelope = Buffer.from(bytes.envelope);
        envelope.writeUInt8(envelope.readUInt8(envelope.length - 3) ^ 1, envelope.length - 3);
        r.held.set(victim, { ...bytes, envelope });
        const check = await verifyPublished({
          transport: r.t,
          subjects: subjectsOf(r),
          trust: trust(),
          requireLog: true,
        });
        expect(check.rejected.map((x) => [x.artifactDigest, x.code])).toEqual([[victim, 'VERIFY_ARTIFACT_INVALID']]);
      } finally {
        await done(r);
      }
    });
  });

  describe('when a held envelope carries a signature that does not verify', () => {
    it('rejects it with the envelope check code', async () => {
      const r = await signed(true, 'held/badsig');
      try {
        const victim = r.result.signed[0]!;
        const original = JSON.parse(Buffer.from(r.held.get(victim.artifactDigest)!.envelope).toString());
        const sig = Buffer.from(original.signatures[0].sig, 'base64');
        sig.writeUInt8(sig.readUInt8(sig.length - 1) ^ 1, sig.length - 1);
        original.signatures[0].sig = sig.toString('base64');
        const envelope = Buffer.from(JSON.stringify(original));
        const manifest = JSON.parse(r.held.get(victim.artifactDigest)!.manifest.toString());
        const p = await publishReferrer(r.t, {
          repository: victim.repository,
          subject: {
            mediaType: manifest.subject.mediaType,
            digest: manifest.subject.digest,
            size: manifest.subject.size,
          },
          artifactType: manifest.artifactType,
          layers: [{ mediaType: manifest.layers[0].mediaType, data: envelope }],
          annotations: manifest.annotations,
        });
        const subjects = subjectsOf(r);
        subjects
          .find((s) => s.subject === victim.subject)!
          .artifacts.push({ artifactDigest: p.descriptor.digest as Digest, held: { manifest: p.manifest, envelope } });
        const check = await verifyPublished({ transport: r.t, subjects, trust: trust(), requireLog: true });
        expect(check.rejected.map((x) => [x.artifactDigest, x.code])).toEqual([
          [p.descriptor.digest, 'DSSE_SIGNATURE_INVALID'],
        ]);
        expect(check.verified).toHaveLength(4);
      } finally {
        await done(r);
      }
    });
  });

  describe('when the signer is not trusted', () => {
    it('rejects every artifact', async () => {
      const r = await signed(false, 'held/untrusted');
      try {
        const check = await verifyPublished({
          transport: r.t,
          subjects: subjectsOf(r),
          trust: trust(['https://issuer.invalid']),
          requireLog: true,
        });
        expect(check.verified).toEqual([]);
        expect(new Set(check.rejected.map((x) => x.code)).size).toBe(1);
        expect(check.rejected).toHaveLength(4);
        expect(check.rejected[0]!.code).toMatch(/^PKT_/);
      } finally {
        await done(r);
      }
    });
  });
});
