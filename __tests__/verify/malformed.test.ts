/**
 * Hostile referrers for verifyImage: truncated, tampered, replayed and algorithm-confused
 * envelopes pushed beside good signatures. Each must be reported as rejected with a coded
 * error (never thrown, never counted), and the good signatures must still verify.
 */
import { MAX_ENVELOPE_BYTES } from '../../src/core/limits.js';
import type { Digest } from '../../src/core/digest.js';
import { discoveryKeyFinder, githubActionsProvider } from '../../src/identity/index.js';
import {
  createTransport,
  getBlob,
  getManifest,
  publishReferrer,
  type ClosableTransport,
  type Descriptor,
  type ImageManifest,
} from '../../src/oci/index.js';
import type { Policy } from '../../src/policy/index.js';
import { signImages, type SignImagesResult } from '../../src/sign/index.js';
import { createLogKeyring, LogPublicKey } from '../../src/tlog/index.js';
import { verifyImage, type VerifyReport } from '../../src/verify/index.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { pushBuildkitImage, SLSA_V1, SPDX, type BuiltImage } from '../fixtures/buildkit-image.js';

type Json = any;

const b64 = (s: string) => Buffer.from(s, 'base64');
const b64url = (s: string) => Buffer.from(s, 'base64url');

describe('verifyImage', () => {
  let oidc: GithubOidc;
  let rekor: RekorLog;
  let registry: OciRegistry;
  let t: ClosableTransport;
  let built: BuiltImage;
  let image: string;
  let signed: SignImagesResult;
  /** The amd64 SPDX envelope, its artifact type, and one from a different signing run. */
  let good: { bytes: Buffer; json: Json; artifactType: string };
  let sibling: Json;
  let otherRun: Json;
  let subject: Descriptor;

  const policy = (): Policy => ({
    rules: [
      {
        scope: '**',
        threshold: 1,
        require: [SPDX, SLSA_V1],
        transparencyLog: 'required',
        level: 'enforce',
        signers: [{ name: 'ci', issuer: oidc.issuer, claims: {} }],
      },
    ],
    revoked: { digests: [], signers: [] },
  });
  const verify = () =>
    verifyImage({
      image,
      policy: policy(),
      trust: {
        issuers: [oidc.issuer],
        findKey: discoveryKeyFinder(),
        logs: createLogKeyring([LogPublicKey.fromPem(rekor.publicKeyPem)]),
        commitmentClaims: { [oidc.issuer]: 'aud' },
      },
    });

  async function envelope(
    artifact: Digest,
    repository: string,
  ): Promise<{ bytes: Buffer; json: Json; artifactType: string }> {
    const m = (await getManifest(t, repository, artifact)).manifest as ImageManifest;
    const bytes = await getBlob(t, repository, m.layers[0]!, MAX_ENVELOPE_BYTES);
    return { bytes, json: JSON.parse(bytes.toString('utf8')), artifactType: m.artifactType! };
  }

  async function attach(bytes: Buffer, note: string): Promise<Digest> {
    const p = await publishReferrer(t, {
      repository: built.repository,
      subject,
      artifactType: good.artifactType,
      layers: [{ mediaType: good.artifactType, data: bytes }],
      annotations: { 'test.case': note },
    });
    return p.descriptor.digest;
  }

  /** A deep copy of the good envelope with `edit` applied. */
  const mutate = (edit: (e: Json) => void): Buffer => {
    const copy = structuredClone(good.json);
    edit(copy);
    return Buffer.from(JSON.stringify(copy));
  };
  const ext = (e: Json) => e.signatures[0].extension.ext;
  /** Rewrites the PK token JSON inside an envelope. */
  const editPkt = (e: Json, edit: (pkt: Json) => void) => {
    const pkt = JSON.parse(b64(ext(e).pkt).toString('utf8'));
    edit(pkt);
    ext(e).pkt = Buffer.from(JSON.stringify(pkt)).toString('base64');
  };
  const opSignature = (pkt: Json) =>
    pkt.signatures.find(
      (s: Json) =>
        JSON.parse(b64url(s.protected).toString('utf8')).typ !== 'CIC' &&
        JSON.parse(b64url(s.protected).toString('utf8')).typ !== 'COS',
    );

  beforeAll(async () => {
    [oidc, rekor, registry] = await Promise.all([startGithubOidc(), startRekorLog(), startOciRegistry()]);
    t = createTransport(registry.host);
    const provider = githubActionsProvider({
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
      issuer: oidc.issuer,
      setSecret: () => {},
    });
    built = await pushBuildkitImage(t, { repository: 'acme/hostile', seed: 'hostile' });
    image = `${registry.host}/acme/hostile@${built.digest}`;
    signed = await signImages({ images: [image], provider, transparencyLog: rekor.url });
    const other = await pushBuildkitImage(t, { repository: 'acme/other-run', seed: 'other-run' });
    const otherSigned = await signImages({
      images: [`${registry.host}/acme/other-run@${other.digest}`],
      provider,
      transparencyLog: rekor.url,
    });
    const amd = signed.signed.filter((a) => a.platform === 'linux/amd64');
    good = await envelope(amd.find((a) => a.predicateType === SPDX)!.artifactDigest, built.repository);
    sibling = (await envelope(amd.find((a) => a.predicateType === SLSA_V1)!.artifactDigest, built.repository)).json;
    otherRun = (
      await envelope(
        otherSigned.signed.find((a) => a.platform === 'linux/amd64' && a.predicateType === SPDX)!.artifactDigest,
        'acme/other-run',
      )
    ).json;
    subject = built.platforms.find((p) => p.platform === 'linux/amd64')!.manifest;
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([oidc?.close(), rekor?.close(), registry?.close()]);
  });

  /** Cases: name → [envelope bytes, expected code or pattern]. */
  const cases: Array<[string, () => Buffer, string | RegExp]> = [
    ['not JSON', () => Buffer.from('garbage'), 'DSSE_MALFORMED'],
    ['truncated', () => good.bytes.subarray(0, Math.floor(good.bytes.length / 2)), 'DSSE_MALFORMED'],
    ['a JSON array', () => Buffer.from('[]'), 'DSSE_MALFORMED'],
    ['empty', () => Buffer.alloc(0), 'DSSE_MALFORMED'],
    [
      'another payload type',
      () =>
        mutate((e) => {
          e.payloadType = 'application/json';
        }),
      'DSSE_PAYLOAD_TYPE_INVALID',
    ],
    [
      'the signature listed twice (a replay inside one envelope)',
      () =>
        mutate((e) => {
          e.signatures.push(e.signatures[0]);
        }),
      'DSSE_SIGNATURE_COUNT',
    ],
    [
      'no signatures',
      () =>
        mutate((e) => {
          e.signatures = [];
        }),
      'DSSE_SIGNATURE_COUNT',
    ],
    [
      'an unknown top-level field',
      () =>
        mutate((e) => {
          e.extra = 1;
        }),
      'DSSE_MALFORMED',
    ],
    [
      'lenient base64 in the payload',
      () =>
        mutate((e) => {
          e.payload = `${e.payload.slice(0, 8)}\n${e.payload.slice(8)}`;
        }),
      /^DSSE_(MALFORMED|ENCODING_INVALID)$/,
    ],
    [
      'the sibling envelope signature',
      () =>
        mutate((e) => {
          e.signatures[0].sig = sibling.signatures[0].sig;
        }),
      'DSSE_SIGNATURE_INVALID',
    ],
    [
      'another keyid',
      () =>
        mutate((e) => {
          e.signatures[0].keyid = 'ab'.repeat(32);
        }),
      /^DSSE_/,
    ],
    [
      'another extension kind',
      () =>
        mutate((e) => {
          e.signatures[0].extension.kind = 'sigstore';
        }),
      'DSSE_EXTENSION_KIND',
    ],
    [
      'the PK token of another run (signature and keyid kept)',
      () =>
        mutate((e) => {
          ext(e).pkt = ext(otherRun).pkt;
        }),
      /^(DSSE|BIND)_/,
    ],
    [
      'the whole signature of another run on this payload',
      () =>
        mutate((e) => {
          e.signatures = otherRun.signatures;
        }),
      /^(DSSE|BIND)_/,
    ],
    [
      'the payload of the sibling under this signature',
      () =>
        mutate((e) => {
          e.payload = sibling.payload;
        }),
      /^(DSSE|BIND)_/,
    ],
    [
      'a PK token whose claims were edited',
      () =>
        mutate((e) =>
          editPkt(e, (pkt) => {
            const claims = JSON.parse(b64url(pkt.payload).toString('utf8'));
            claims.repository = 'evil/repo';
            pkt.payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
          }),
        ),
      /^PKT_/,
    ],
    [
      'a PK token whose OP signature claims RS256 (algorithm confusion)',
      () =>
        mutate((e) =>
          editPkt(e, (pkt) => {
            const op = opSignature(pkt);
            const header = JSON.parse(b64url(op.protected).toString('utf8'));
            header.alg = 'RS256';
            op.protected = Buffer.from(JSON.stringify(header)).toString('base64url');
          }),
        ),
      /^PKT_/,
    ],
    [
      'a PK token whose OP signature says alg "none"',
      () =>
        mutate((e) =>
          editPkt(e, (pkt) => {
            const op = opSignature(pkt);
            const header = JSON.parse(b64url(op.protected).toString('utf8'));
            header.alg = 'none';
            op.protected = Buffer.from(JSON.stringify(header)).toString('base64url');
            op.signature = '';
          }),
        ),
      /^PKT_/,
    ],
    [
      'a PK token without its CIC signature',
      () =>
        mutate((e) =>
          editPkt(e, (pkt) => {
            pkt.signatures = [opSignature(pkt)];
          }),
        ),
      /^PKT_/,
    ],
    [
      'an attProof pointing at another leaf',
      () =>
        mutate((e) => {
          ext(e).attProof.index = (ext(e).attProof.index + 1) % ext(e).attProof.size;
        }),
      /^BIND_/,
    ],
    [
      'no attProof (as if the run had one envelope)',
      () =>
        mutate((e) => {
          delete ext(e).attProof;
        }),
      /^BIND_/,
    ],
    [
      'a log index that is a string',
      () =>
        mutate((e) => {
          ext(e).tl.logIndex = String(ext(e).tl.logIndex);
        }),
      'TLOG_ENTRY_INVALID',
    ],
    [
      'a log index past 2^53',
      () =>
        Buffer.from(
          JSON.stringify(good.json).replace(
            `"logIndex":${ext(good.json).tl.logIndex},`,
            '"logIndex":9007199254740993,',
          ),
        ),
      /^TLOG_/,
    ],
    [
      'an inclusion proof with one hash too many',
      () =>
        mutate((e) => {
          ext(e).tl.verification.inclusionProof.hashes.push('00'.repeat(32));
        }),
      /^TLOG_/,
    ],
    [
      'an inclusion proof for another leaf index',
      () =>
        mutate((e) => {
          ext(e).tl.verification.inclusionProof.logIndex += 1;
        }),
      /^TLOG_/,
    ],
    [
      'a SET with one flipped byte',
      () =>
        mutate((e) => {
          const set = b64(ext(e).tl.verification.signedEntryTimestamp);
          set[set.length - 1] = set[set.length - 1]! ^ 1;
          ext(e).tl.verification.signedEntryTimestamp = set.toString('base64');
        }),
      /^TLOG_(SET_INVALID|DER_INVALID|ENTRY_INVALID)$/,
    ],
    [
      'a later integratedTime',
      () =>
        mutate((e) => {
          ext(e).tl.integratedTime += 3600;
        }),
      'TLOG_SET_INVALID',
    ],
    [
      "the sibling's log body",
      () =>
        mutate((e) => {
          ext(e).tl.body = ext(sibling).tl.body;
        }),
      /^TLOG_/,
    ],
    [
      'a checkpoint of another tree size',
      () =>
        mutate((e) => {
          const p = ext(e).tl.verification.inclusionProof;
          p.checkpoint = p.checkpoint.replace(/\n(\d+)\n/, (_m: string, n: string) => `\n${Number(n) + 1}\n`);
        }),
      /^TLOG_/,
    ],
  ];

  describe('when hostile envelopes sit beside good ones', () => {
    let report: VerifyReport;
    const pushed = new Map<string, Digest>();

    beforeAll(async () => {
      for (const [name, build] of cases) pushed.set(name, await attach(build(), name));
      report = await verify();
    });

    it.each(cases.map(([name, , code]) => [name, code] as const))('rejects %s with %p', (name, code) => {
      const amd = report.platforms.find((p) => p.platform === 'linux/amd64')!;
      const digest = pushed.get(name)!;
      const rejected = amd.rejected.find((r) => r.artifactDigest === digest);
      expect(amd.signatures.map((s) => s.artifactDigest)).not.toContain(digest);
      expect(rejected?.code).toEqual(typeof code === 'string' ? code : expect.stringMatching(code));
      expect(rejected?.message).not.toMatch(/\n/);
    });

    it('still verifies every genuine signature and passes', () => {
      const verified = new Set(report.platforms.flatMap((p) => p.signatures.map((s) => s.artifactDigest)));
      for (const a of signed.signed) expect(verified.has(a.artifactDigest)).toBe(true);
      expect(report.passed).toBe(true);
    });
  });

  describe('when single bytes of a good envelope are changed', () => {
    it('rejects every variant with a coded error and never throws', async () => {
      const text = good.bytes.toString('latin1');
      const digests: Digest[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const at = Math.floor(((i + 0.5) / 40) * text.length);
        const replacement = text[at] === 'A' ? 'B' : 'A';
        const variant = Buffer.from(text.slice(0, at) + replacement + text.slice(at + 1), 'latin1');
        if (seen.has(variant.toString('latin1'))) continue;
        seen.add(variant.toString('latin1'));
        digests.push(await attach(variant, `flip-${at}`));
      }
      const r = await verify();
      const amd = r.platforms.find((p) => p.platform === 'linux/amd64')!;
      const verified = new Set(amd.signatures.map((s) => s.artifactDigest));
      for (const d of digests) {
        expect(verified.has(d)).toBe(false);
        expect(amd.rejected.find((x) => x.artifactDigest === d)?.code).toMatch(
          /^(DSSE|BIND|STMT|PKT|TLOG|CORE|OCI|VERIFY)_[A-Z0-9_]+$/,
        );
      }
    });
  });

  describe("when a platform's fallback tag lists 10,000 referrers", () => {
    it('stops with OCI_TOO_LARGE naming the per-subject cap, without fetching them one by one', async () => {
      const flood = await pushBuildkitImage(t, {
        repository: 'acme/flooded',
        seed: 'flooded',
        platforms: ['linux/amd64'],
      });
      const target = flood.platforms[0]!.manifest.digest;
      const manifests = Array.from({ length: 10_000 }, (_, i) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${i.toString(16).padStart(64, '0')}`,
        size: 1,
        artifactType: good.artifactType,
      }));
      registry.seedManifest(
        'acme/flooded',
        Buffer.from(
          JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
        ),
        'application/vnd.oci.image.index.v1+json',
        { tag: `sha256-${target.slice(7)}` },
      );
      const before = registry.requests.length;
      const err = await verifyImage({
        image: `${registry.host}/acme/flooded@${flood.digest}`,
        policy: policy(),
        trust: {
          issuers: [oidc.issuer],
          findKey: discoveryKeyFinder(),
          logs: createLogKeyring([LogPublicKey.fromPem(rekor.publicKeyPem)]),
        },
      }).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(err?.code).toBe('OCI_TOO_LARGE');
      expect(err?.message).toMatch(/more than 1000 referrers, the cap per subject \(MAX_REFERRERS\)/);
      expect(registry.requests.length - before).toBeLessThan(20);
    });
  });
});
