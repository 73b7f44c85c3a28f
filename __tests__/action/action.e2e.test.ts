/**
 * The bundled actions end to end, run the way the Actions runner runs them: `node dist/index.js`
 * (and `dist/verify.js`) in a child process with `INPUT_*` variables, the runner's `GITHUB_*`
 * environment, `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` files and the ID-token request variables,
 * against the CNCF registry (fallback tag), the in-process registry (referrers API, fault
 * injection), the loopback GitHub OIDC endpoint and the Rekor test log.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { discoveryKeyFinder } from '../../src/identity/jwks.js';
import { getManifest } from '../../src/oci/content-manifests.js';
import { listReferrers } from '../../src/oci/referrers.js';
import { createTransport } from '../../src/oci/transport/client.js';
import type { Policy } from '../../src/policy/index.js';
import { createLogKeyring, LogPublicKey } from '../../src/tlog/keys.js';
import { verifyImage, type TrustMaterial } from '../../src/verify/index.js';
import { describeWith, itWith, toolPath } from '../requirements.js';
import {
  DEFAULT_IDENTITY,
  startLocalStack,
  type ActionRun,
  type LocalStack,
  type WorkflowIdentity,
} from '../fakes/local-stack.js';

const ROOT = process.cwd();
const SIGN_ACTION = path.join(ROOT, 'dist/index.js');
const VERIFY_ACTION = path.join(ROOT, 'dist/verify.js');
const SPDX = 'https://spdx.dev/Document';
const SLSA = 'https://slsa.dev/provenance/v1';
const CYCLONEDX = 'https://cyclonedx.org/bom';

const skopeo = toolPath('skopeo');

/** A second workflow, in another repository, that signs the same images. */
const RELEASE_BOT: WorkflowIdentity = {
  ...DEFAULT_IDENTITY,
  repository: 'octo-org/release-bot',
  workflowRef: 'octo-org/release-bot/.github/workflows/countersign.yml@refs/heads/main',
  sha: '1f0e2d3c4b5a69788796a5b4c3d2e1f001122334',
  runId: '1234567890',
};

interface SignedOutput {
  image: string;
  platform: string;
  subject: string;
  predicateType: string;
  artifactDigest: string;
  logIndex?: number;
}

/** Every run of every stack, for the secret scan at the end. */
const runs: ActionRun[] = [];
const stacks: LocalStack[] = [];

async function run(
  stack: LocalStack,
  script: string,
  inputs: Record<string, string>,
  env = stack.runnerEnv(),
): Promise<ActionRun> {
  const r = await stack.runAction(script, inputs, env);
  runs.push(r);
  return r;
}

function sign(
  stack: LocalStack,
  image: string,
  env = stack.runnerEnv(),
  extra: Record<string, string> = {},
): Promise<ActionRun> {
  return run(stack, SIGN_ACTION, { image, 'transparency-log': stack.rekor.url, ...extra }, env);
}

function signedOf(r: ActionRun): SignedOutput[] {
  return JSON.parse(r.outputs.signed ?? 'null') as SignedOutput[];
}

function trustOf(stack: LocalStack): TrustMaterial {
  const issuer = stack.oidc.issuer;
  return {
    issuers: [issuer],
    findKey: discoveryKeyFinder(),
    logs: createLogKeyring([LogPublicKey.fromPem(stack.rekor.publicKeyPem)]),
    commitmentClaims: { [issuer]: 'aud' },
  };
}

function policyOf(
  stack: LocalStack,
  signers: Array<{ name: string; repository: string }>,
  threshold = signers.length,
): Policy {
  return {
    rules: [
      {
        scope: '**',
        threshold,
        require: [SLSA, SPDX],
        transparencyLog: 'required',
        level: 'enforce',
        signers: signers.map(({ name, repository }) => ({ name, issuer: stack.oidc.issuer, claims: { repository } })),
      },
    ],
    revoked: { digests: [], signers: [] },
  };
}

/** Fails with the action's own words, so a broken run explains itself. */
function expectSuccess(r: ActionRun): void {
  if (r.code !== 0) throw new Error(`action exited ${r.code}: ${r.errors.join(' | ')}\n${r.stdout}\n${r.stderr}`);
}

afterAll(async () => {
  await Promise.all(stacks.map((s) => s.stop()));
});

describeWith(['dist', 'docker-registry'], 'the sign action on the CNCF registry', () => {
  let stack: LocalStack;
  let image: Awaited<ReturnType<LocalStack['pushImage']>>;
  let first: SignedOutput[];

  beforeAll(async () => {
    stack = await startLocalStack({ registry: 'distribution' });
    stacks.push(stack);
    image = await stack.pushImage({ repository: 'acme/app', seed: 'e2e-real' });
  });

  describe('when the job signs a BuildKit image with SBOM and provenance', () => {
    it('signs all four statements and sets the outputs', async () => {
      const r = await sign(stack, image.ref);
      expectSuccess(r);
      first = signedOf(r);
      expect(r.outputs.count).toBe('4');
      expect(first.map((s) => `${s.platform} ${s.predicateType}`).sort()).toEqual([
        `linux/amd64 ${SLSA}`,
        `linux/amd64 ${SPDX}`,
        `linux/arm64 ${SLSA}`,
        `linux/arm64 ${SPDX}`,
      ]);
      expect(
        first.every(
          (s) =>
            s.image === image.ref && /^sha256:[0-9a-f]{64}$/.test(s.artifactDigest) && Number.isInteger(s.logIndex),
        ),
      ).toBe(true);
      expect(new Set(first.map((s) => s.logIndex)).size).toBe(4);
      expect(r.outputs['verify-command']).toBe(
        `npx opk-attest verify ${image.ref} --issuer ${stack.oidc.issuer} --signer-claim repository=octo-org/octo-repo --transparency-log ${stack.rekor.url} --tlog-key-tofu`,
      );
      expect(r.summary).toContain('opk-attest: 4 signed, 0 already signed');
      expect(stack.oidc.issued).toHaveLength(1); // one PK token for the whole run
    });

    it('leaves the image index byte-identical', async () => {
      const t = createTransport(stack.registry.host);
      try {
        const now = await getManifest(t, 'acme/app', image.tag);
        expect(now.digest).toBe(image.digest);
        expect(Buffer.from(now.bytes).equals(image.bytes)).toBe(true);
      } finally {
        await t.close();
      }
    });

    itWith(['skopeo'], 'pushes artifacts that skopeo reads', async () => {
      for (const s of first) {
        const { stdout } = await promisify(execFile)(skopeo!, [
          'inspect',
          '--raw',
          '--tls-verify=false',
          `docker://${stack.registry.host}/acme/app@${s.artifactDigest}`,
        ]);
        const m = JSON.parse(stdout) as {
          artifactType?: string;
          subject?: { digest?: string };
          layers?: unknown[];
        };
        expect(m.subject?.digest).toBe(s.subject);
        expect(m.artifactType).toBe(
          s.predicateType === SPDX ? 'application/vnd.in-toto.spdx+dsse' : 'application/vnd.in-toto.provenance+dsse',
        );
        expect(m.layers).toHaveLength(1);
      }
      // distribution 2.8 has no referrers API: the fallback tag lists them
      const subject = first[0]!.subject;
      const { stdout } = await promisify(execFile)(skopeo!, [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${stack.registry.host}/acme/app:${subject.replace(':', '-')}`,
      ]);
      const listed = (JSON.parse(stdout) as { manifests: Array<{ digest: string }> }).manifests
        .map((d) => d.digest)
        .sort();
      expect(listed).toEqual(
        first
          .filter((s) => s.subject === subject)
          .map((s) => s.artifactDigest)
          .sort(),
      );
    });

    it('produces envelopes that verify, each with its log entry', async () => {
      const report = await verifyImage({
        image: image.ref,
        trust: trustOf(stack),
        policy: policyOf(stack, [{ name: 'ci', repository: DEFAULT_IDENTITY.repository }]),
      });
      expect(report.platforms.map((p) => [p.platform, p.signatures.length, p.rejected, p.passed])).toEqual([
        ['linux/amd64', 2, [], true],
        ['linux/arm64', 2, [], true],
      ]);
      expect(report.platforms.flatMap((p) => p.signatures.map((s) => s.logIndex)).sort()).toEqual(
        first.map((s) => s.logIndex).sort(),
      );
    });
  });

  describe('when the job runs again', () => {
    it('adds nothing (count 0), after the one token that says who signs', async () => {
      const tokens = stack.oidc.issued.length;
      const r = await sign(stack, image.ref);
      expectSuccess(r);
      expect(r.outputs.count).toBe('0');
      expect(signedOf(r)).toEqual([]);
      expect(r.summary).toContain('0 signed, 4 already signed');
      expect(stack.oidc.issued).toHaveLength(tokens + 1);
    });
  });

  describe('when a second workflow identity signs the same image', () => {
    it('adds its own signatures beside the first', async () => {
      stack.useIdentity(RELEASE_BOT);
      try {
        const r = await sign(stack, image.ref, stack.runnerEnv(RELEASE_BOT));
        expectSuccess(r);
        expect(r.outputs.count).toBe('4');
        expect(signedOf(r).map((s) => s.artifactDigest)).not.toEqual(
          expect.arrayContaining([first[0]!.artifactDigest]),
        );
      } finally {
        stack.useIdentity();
      }
      const both = policyOf(stack, [
        { name: 'ci', repository: DEFAULT_IDENTITY.repository },
        { name: 'release', repository: RELEASE_BOT.repository },
      ]);
      const report = await verifyImage({ image: image.ref, trust: trustOf(stack), policy: both });
      expect(report.platforms.map((p) => [p.signatures.length, [...(p.verdict?.signers ?? [])].sort()])).toEqual([
        [4, ['ci', 'release']],
        [4, ['ci', 'release']],
      ]);
      expect(report.passed).toBe(true);
    });
  });
});

describeWith(['dist'], 'the actions on the referrers-API registry', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ registry: 'in-process' });
    stacks.push(stack);
  });

  /** Every referrer of every platform verifies with a log entry: nothing half-written. */
  async function expectFullyVerified(ref: string, perPlatform: number): Promise<void> {
    const report = await verifyImage({
      image: ref,
      trust: trustOf(stack),
      policy: policyOf(stack, [{ name: 'ci', repository: DEFAULT_IDENTITY.repository }]),
    });
    const t = createTransport(stack.registry.host);
    try {
      for (const p of report.platforms) {
        const listed = await listReferrers(t, ref.split('@')[0]!.slice(stack.registry.host.length + 1), p.digest);
        expect([p.platform, listed.referrers.length, p.signatures.length, p.rejected]).toEqual([
          p.platform,
          perPlatform,
          perPlatform,
          [],
        ]);
      }
    } finally {
      await t.close();
    }
    expect(report.passed).toBe(true);
  }

  describe('when the images are given by tag and by digest', () => {
    it('outputs a verify-command per image pinned to the digest signed, never the tag', async () => {
      const a = await stack.pushImage({ repository: 'acme/by-tag', seed: 'by-tag', tag: '3.1' });
      const b = await stack.pushImage({ repository: 'acme/by-digest', seed: 'by-digest' });
      const r = await sign(stack, `${stack.registry.host}/acme/by-tag:3.1\n${b.ref}`);
      expectSuccess(r);
      const flags = `--issuer ${stack.oidc.issuer} --signer-claim repository=${DEFAULT_IDENTITY.repository} --transparency-log ${stack.rekor.url} --tlog-key-tofu`;
      expect(r.outputs['verify-command']).toBe(
        [`npx opk-attest verify ${a.ref} ${flags}`, `npx opk-attest verify ${b.ref} ${flags}`].join('\n'),
      );
      expect(a.ref).toBe(`${stack.registry.host}/acme/by-tag@${a.digest}`);
      expect(r.summary).toContain(`acme/by-tag:3.1 → <code>${a.ref}</code> (index)`);
    });
  });

  describe('when the log answers 503 three times', () => {
    it('retries and signs everything', async () => {
      const image = await stack.pushImage({ repository: 'acme/flaky-log', seed: 'flaky-log' });
      stack.rekor.failNext(3, 503);
      const r = await sign(stack, image.ref);
      expectSuccess(r);
      expect(r.outputs.count).toBe('4');
      await expectFullyVerified(image.ref, 2);
    });
  });

  describe('when the registry drops a connection mid-push', () => {
    it('converges, and leaves no referrer without a log entry', async () => {
      const image = await stack.pushImage({ repository: 'acme/dropped', seed: 'dropped' });
      // The artifact manifest is stored, then the connection dies before the answer.
      stack.registry.fake!.inject({
        kind: 'drop',
        when: 'after',
        match: { method: 'PUT', path: '/manifests/sha256:' },
      });
      const r = await sign(stack, image.ref);
      expect(stack.registry.fake!.requests.filter((q) => q.status === 'dropped')).toHaveLength(1);
      if (r.code !== 0) {
        // Today the transport retries the idempotent PUT by digest and the run succeeds; should a
        // run ever fail here instead, what it left must verify and a re-run must finish the job.
        expect(r.errors.join(' ')).toMatch(/\[[A-Z_]+\]/);
        const again = await sign(stack, image.ref);
        expectSuccess(again);
      } else {
        expect(r.outputs.count).toBe('4');
      }
      const last = await sign(stack, image.ref);
      expectSuccess(last);
      expect(last.outputs.count).toBe('0');
      await expectFullyVerified(image.ref, 2);
    });
  });

  describe('when the OIDC endpoint fails once', () => {
    it('retries and signs', async () => {
      const image = await stack.pushImage({ repository: 'acme/flaky-oidc', seed: 'flaky-oidc' });
      stack.oidc.failNext(1, 500);
      const r = await sign(stack, image.ref);
      expectSuccess(r);
      expect(r.outputs.count).toBe('4');
    });
  });

  describe('when the job lacks permissions: id-token: write', () => {
    it('fails naming the permission, and pushes nothing', async () => {
      const image = await stack.pushImage({ repository: 'acme/no-permission', seed: 'no-permission' });
      const r = await sign(stack, image.ref, stack.runnerEnv(DEFAULT_IDENTITY, { idToken: false }));
      expect(r.code).toBe(1);
      expect(r.errors.join('\n')).toContain('permissions: id-token: write');
      expect(r.outputs.count).toBeUndefined();
      const t = createTransport(stack.registry.host);
      try {
        expect((await listReferrers(t, 'acme/no-permission', image.platforms[0]!.manifest.digest)).referrers).toEqual(
          [],
        );
      } finally {
        await t.close();
      }
    });
  });

  describe('when the image has no attestations and nothing is given', () => {
    it('fails with the fix before asking for a token', async () => {
      const image = await stack.pushImage({ repository: 'acme/bare', attestations: 'none', seed: 'bare' });
      const tokens = stack.oidc.requests.idtoken;
      const r = await sign(stack, image.ref);
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([
        expect.stringMatching(
          /no attestations to sign; build with provenance and SBOM .*or pass sbom-path \/ predicate-path \[SIGN_NO_STATEMENTS\]$/,
        ),
      ]);
      expect(stack.oidc.requests.idtoken).toBe(tokens);
    });
  });

  // With an issuer override (the loopback endpoint here, a GHES custom issuer in real life) the
  // server URL for the generated provenance comes from the runner's GITHUB_SERVER_URL.
  describe('when sbom-path is given for an image without provenance', () => {
    const sbomFile = () => {
      const file = path.join(stack.dir, 'sbom.cdx.json');
      writeFileSync(file, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [] }));
      return file;
    };

    it('signs the SBOM and a SLSA provenance generated from the workflow claims', async () => {
      const image = await stack.pushImage({ repository: 'acme/sbom-only', attestations: 'none', seed: 'sbom-only' });
      const r = await sign(stack, image.ref, stack.runnerEnv(), { 'sbom-path': sbomFile() });
      expectSuccess(r);
      expect(
        signedOf(r)
          .map((s) => `${s.platform} ${s.predicateType}`)
          .sort(),
      ).toEqual([`linux/amd64 ${CYCLONEDX}`, `linux/amd64 ${SLSA}`, `linux/arm64 ${CYCLONEDX}`, `linux/arm64 ${SLSA}`]);
    });

    it('publishes and logs nothing when the ID token describes another build than the environment', async () => {
      const image = await stack.pushImage({
        repository: 'acme/other-build',
        attestations: 'none',
        seed: 'other-build',
      });
      const logged = stack.rekor.size();
      const r = await sign(
        stack,
        image.ref,
        { ...stack.runnerEnv(), GITHUB_SHA: '0'.repeat(40) },
        { 'sbom-path': sbomFile() },
      );
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([expect.stringContaining('[SIGN_CLAIMS_MISMATCH]')]);
      expect(stack.rekor.size()).toBe(logged);
      const t = createTransport(stack.registry.host);
      try {
        for (const p of image.platforms)
          expect((await listReferrers(t, 'acme/other-build', p.manifest.digest)).referrers).toEqual([]);
      } finally {
        await t.close();
      }
    });
  });

  describe('the verify sub-action (dist/verify.js)', () => {
    const verifyInputs = (ref: string) => ({
      image: ref,
      issuer: stack.oidc.issuer,
      'tlog-key': stack.tlogKeyFile,
      'transparency-log': stack.rekor.url,
      'signer-claims': `repository=${DEFAULT_IDENTITY.repository.split('/')[0]}/*\nrunner_environment=github-hosted`,
      require: `https://slsa.dev/provenance/*\n${SPDX}`,
    });

    it('passes on a signed image and sets result', async () => {
      const image = await stack.pushImage({ repository: 'acme/verified', seed: 'verified' });
      expectSuccess(await sign(stack, image.ref));
      // tlog-key inline (a workflow can paste the PEM); the other cases name a file
      const r = await run(stack, VERIFY_ACTION, { ...verifyInputs(image.ref), 'tlog-key': stack.rekor.publicKeyPem });
      expectSuccess(r);
      const result = JSON.parse(r.outputs.result!) as {
        passed: boolean;
        images: Array<{ digest: string; platforms: Array<{ passed: boolean; signers: string[] }> }>;
      };
      expect(result.passed).toBe(true);
      expect(result.images.map((i) => [i.digest, i.platforms.map((p) => [p.passed, p.signers])])).toEqual([
        [
          image.digest,
          [
            [true, ['signer']],
            [true, ['signer']],
          ],
        ],
      ]);
      expect(r.stdout).toContain('verified: 2 platform(s)');
      expect(r.summary).toContain('1 of 1 image(s) verified');
    });

    it('verifies the images of a dockerfile and outputs it pinned to the digests verified', async () => {
      const base = await stack.pushImage({ repository: 'acme/df-base', tag: '1', seed: 'df-base' });
      const other = await stack.pushImage({ repository: 'acme/df-unsigned', tag: '1', seed: 'df-unsigned' });
      expectSuccess(await sign(stack, base.ref));
      const dockerfile = path.join(stack.dir, 'Dockerfile.verify-action');
      writeFileSync(dockerfile, `ARG BASE=${stack.registry.host}/acme/df-unsigned\nFROM \${BASE}:1\n`);
      const { image: _image, ...inputs } = verifyInputs(base.ref);
      const ok = await run(stack, VERIFY_ACTION, {
        ...inputs,
        dockerfile,
        'build-args': `BASE=${stack.registry.host}/acme/df-base`,
      });
      expectSuccess(ok);
      expect(ok.outputs['pinned-dockerfile']).toBe(
        `ARG BASE=${stack.registry.host}/acme/df-unsigned\nFROM ${stack.registry.host}/acme/df-base:1@${base.digest}\n`,
      );
      const bad = await run(stack, VERIFY_ACTION, { ...inputs, dockerfile });
      expect(bad.code).toBe(1);
      expect(bad.errors[0]).toContain(`${stack.registry.host}/acme/df-unsigned:1: not verified`);
      expect(bad.outputs['pinned-dockerfile']).toBeUndefined();
      expect(other.digest).not.toBe(base.digest);
    });

    it('fails with ::error:: on an unsigned image', async () => {
      const image = await stack.pushImage({ repository: 'acme/unsigned', seed: 'unsigned' });
      const r = await run(stack, VERIFY_ACTION, verifyInputs(image.ref));
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([expect.stringMatching(/not verified \(linux\/amd64: expected 1 distinct signer/)]);
      expect((JSON.parse(r.outputs.result!) as { passed: boolean }).passed).toBe(false);
    });

    it('fails when the signer claims do not match', async () => {
      const image = await stack.pushImage({ repository: 'acme/other-signer', seed: 'other-signer' });
      expectSuccess(await sign(stack, image.ref));
      const r = await run(stack, VERIFY_ACTION, {
        ...verifyInputs(image.ref),
        'signer-claims': 'repository=someone-else/*',
      });
      expect(r.code).toBe(1);
      expect(r.errors[0]).toContain('not verified');
    });

    it.each([
      ['threshold', 'two', 'threshold must be a whole number from 1 to 100'],
      ['signer-claims', 'repository', 'signer-claims line 1 is not NAME=GLOB'],
      ['signer-claims', 'repository=a/*\nrepository=b/*', 'signer-claims names claim "repository" twice'],
      ['tlog-key', '/nonexistent/rekor.pem', 'tlog-key: cannot read "/nonexistent/rekor.pem" (ENOENT)'],
      ['tlog-key', '-----BEGIN PUBLIC KEY-----\nMFkw', 'tlog-key holds PEM text but no complete "PUBLIC KEY" block'],
      ['commitment-claim', 'sub', 'commitment-claim must be "aud"'],
      ['transparency-log', 'ftp://log', 'transparency-log "ftp://log" is neither a URL nor "false"'],
      ['tuf-repository', 'https://trust.example.com', 'tuf-repository and tuf-root must be given together'],
    ])('refuses %s=%j, naming the input', async (name, value, message) => {
      const r = await run(stack, VERIFY_ACTION, { ...verifyInputs(`${stack.registry.host}/acme/x:v1`), [name]: value });
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([expect.stringContaining(message)]);
      expect(r.outputs.result).toBeUndefined();
    });
  });
});

describeWith(['dist'], 'everything the actions printed or wrote', () => {
  it('holds no request token, ID token or private key, and the ID tokens were masked', () => {
    expect(runs.length).toBeGreaterThan(5);
    const issued = stacks.flatMap((s) => s.oidc.issued);
    expect(issued.length).toBeGreaterThan(0);
    for (const r of runs) {
      // `::add-mask::` lines are how a value gets masked: the runner consumes them, never shows them.
      const shown = [
        r.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n'),
        r.stderr,
        r.outputFile,
        r.summary,
      ].join('\n');
      for (const s of stacks) expect(shown).not.toContain(s.oidc.requestToken);
      for (const token of issued) {
        expect(shown).not.toContain(token);
        expect(shown).not.toContain(token.split('.')[2]!); // the RS256 signature makes it a bearer token
      }
      expect(shown).not.toMatch(/PRIVATE KEY/);
    }
    const masked = new Set(runs.flatMap((r) => r.masked));
    for (const token of issued) expect(masked.has(token)).toBe(true);
    for (const s of stacks) expect(masked.has(s.oidc.requestToken)).toBe(true);
  });
});
