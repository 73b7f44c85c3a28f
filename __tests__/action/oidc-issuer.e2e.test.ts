/**
 * The sign action on every GitHub (issue 8 item 5): run as the runner runs it, against the
 * GitHub-compatible OIDC endpoint serving each of GitHub's four issuer shapes over real TLS at the
 * issuer's real host name (routed to loopback by `fakes/route-hosts.mjs`, the test certificate
 * trusted with NODE_EXTRA_CA_CERTS), so discovery and JWKS are fetched from `{issuer}/.well-known/…`
 * as on GitHub. The expected issuer comes from GITHUB_SERVER_URL and the token; a token whose `iss`
 * does not fit is refused before anything is logged or pushed; `oidc-issuer` overrides.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Digest } from '../../src/core/digest.js';
import { parseJwks, jwksKeyFinder } from '../../src/identity/jwks.js';
import { listReferrers } from '../../src/oci/referrers.js';
import { createTransport } from '../../src/oci/transport/client.js';
import type { Policy } from '../../src/policy/index.js';
import { createLogKeyring, LogPublicKey } from '../../src/tlog/keys.js';
import { verifyImage } from '../../src/verify/index.js';
import { makeTlsCertFor } from '../fakes/distribution.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startLocalStack, type ActionRun, type LocalStack } from '../fakes/local-stack.js';
import { describeWith } from '../requirements.js';

const ROOT = process.cwd();
const SIGN_ACTION = path.join(ROOT, 'dist/index.js');
const VERIFY_ACTION = path.join(ROOT, 'dist/verify.js');
const CLI = path.join(ROOT, 'dist/cli.js');
const PRELOAD = path.join(ROOT, '__tests__/fakes/route-hosts.mjs');

const GITHUB_COM = 'https://token.actions.githubusercontent.com';
const GHEC_SLUG = 'https://token.actions.githubusercontent.com/octo-enterprise';
const GHE_COM = 'https://token.actions.octo.ghe.com';
const GHES = 'https://ghes.example.com/_services/token';

/** [deployment, GITHUB_SERVER_URL, the iss its tokens carry] */
const SHAPES: ReadonlyArray<readonly [string, string, string]> = [
  ['GitHub.com', 'https://github.com', GITHUB_COM],
  ['GitHub Enterprise Cloud with a custom issuer', 'https://github.com', GHEC_SLUG],
  ['GHE.com (data residency)', 'https://octo.ghe.com', GHE_COM],
  ['GitHub Enterprise Server', 'https://ghes.example.com', GHES],
];

function expectSuccess(r: ActionRun): void {
  if (r.code !== 0) throw new Error(`action exited ${r.code}: ${r.errors.join(' | ')}\n${r.stdout}\n${r.stderr}`);
}

const warnings = (r: ActionRun) => r.stdout.split('\n').filter((l) => l.startsWith('::warning'));

describeWith(['dist', 'openssl'], 'the sign action on every GitHub', () => {
  let stack: LocalStack;
  let caFile: string;
  const endpoints = new Map<string, GithubOidc>();
  let n = 0;

  beforeAll(async () => {
    stack = await startLocalStack({ registry: 'in-process' });
    const hosts = [...new Set(SHAPES.map(([, , iss]) => new URL(iss).hostname))];
    const files = makeTlsCertFor(stack.dir, 'github-hosts', hosts);
    caFile = files.cert;
    const tls = { key: readFileSync(files.key, 'utf8'), cert: readFileSync(files.cert, 'utf8') };
    for (const [, , iss] of SHAPES) endpoints.set(iss, await startGithubOidc({ issuer: iss, tls }));
  });
  afterAll(async () => {
    await Promise.all([...endpoints.values()].map((e) => e.close()));
    await stack?.stop();
  });

  /** The runner's environment on `serverUrl`, with the job's tokens from `iss`'s endpoint; no issuer override. */
  function runnerOn(serverUrl: string, iss: string): Record<string, string> {
    const endpoint = endpoints.get(iss)!;
    const { 'INPUT_OIDC-ISSUER': _override, ...env } = stack.runnerEnv();
    return {
      ...env,
      ...network(iss),
      GITHUB_SERVER_URL: serverUrl,
      ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: endpoint.requestToken,
    };
  }

  /** Every issuer host name routed to its endpoint's https port (`iss`'s host to `iss`'s endpoint,
   *  when two issuers share a host), the test certificate trusted. */
  function network(iss?: string): Record<string, string> {
    const others = [...endpoints].filter(([i]) => i !== iss);
    const chosen = iss === undefined ? others : [...others, [iss, endpoints.get(iss)!] as const];
    const routes = Object.fromEntries(chosen.map(([i, e]) => [new URL(i).hostname, e.tlsPort!]));
    return {
      NODE_OPTIONS: `--import=${PRELOAD}`,
      NODE_EXTRA_CA_CERTS: caFile,
      OPK_TEST_ROUTES: JSON.stringify(routes),
    };
  }

  async function image(): Promise<{ ref: string; repository: string; subjects: Digest[] }> {
    const repository = `acme/github-${++n}`;
    const built = await stack.pushImage({ repository, seed: `every-github-${n}` });
    return { ref: built.ref, repository, subjects: built.platforms.map((p) => p.manifest.digest) };
  }

  const sign = (ref: string, env: Record<string, string>, extra: Record<string, string> = {}) =>
    stack.runAction(SIGN_ACTION, { image: ref, 'transparency-log': stack.rekor.url, ...extra }, env);

  const policyFor = (iss: string): Policy => ({
    rules: [
      {
        scope: '**',
        signers: [{ name: 'ci', issuer: iss, claims: { repository: 'octo-org/octo-repo' } }],
        threshold: 1,
        require: ['https://slsa.dev/provenance/*', 'https://spdx.dev/Document'],
        transparencyLog: 'required',
        level: 'enforce',
      },
    ],
    revoked: { digests: [], signers: [] },
  });

  async function pushedNothing(img: { repository: string; subjects: Digest[] }): Promise<void> {
    const t = createTransport(stack.registry.host);
    try {
      for (const s of img.subjects) expect((await listReferrers(t, img.repository, s)).referrers).toEqual([]);
    } finally {
      await t.close();
    }
  }

  describe.each(SHAPES)('on %s (GITHUB_SERVER_URL %s, iss %s)', (_what, serverUrl, iss) => {
    it('signs with the issuer derived from GITHUB_SERVER_URL and the token, and what it signed verifies', async () => {
      const img = await image();
      const endpoint = endpoints.get(iss)!;
      const r = await sign(img.ref, runnerOn(serverUrl, iss));
      expectSuccess(r);
      expect(r.outputs.count).toBe('4');
      expect(endpoint.issued).toHaveLength(1);
      expect(endpoint.requests.discovery).toBeGreaterThan(0); // keys came from {iss}/.well-known over TLS
      expect(warnings(r)).toEqual([]); // a private log is given: nothing to warn about, even on GHES
      const command = r.outputs['verify-command']!;
      if (iss === GITHUB_COM) expect(command).not.toContain('--issuer');
      else expect(command).toContain(`--issuer ${iss} `);
      // No commitment claim given: every GitHub issuer shape defaults to aud, as the CLI and the verify action do.
      const report = await verifyImage({
        image: img.ref,
        policy: policyFor(iss),
        trust: {
          issuers: [iss],
          findKey: jwksKeyFinder({ [iss]: parseJwks(JSON.stringify(endpoint.jwks())) }),
          logs: createLogKeyring([LogPublicKey.fromPem(stack.rekor.publicKeyPem)]),
        },
      });
      expect(report.platforms.map((p) => [p.signatures.length, p.rejected, p.passed])).toEqual([
        [2, [], true],
        [2, [], true],
      ]);
    });
  });

  describe('when an enterprise-slug token signs a provenance generated before it was issued', () => {
    it('accepts the slug form for the generated claims (both name the GitHub.com server)', async () => {
      const n0 = ++n;
      const built = await stack.pushImage({
        repository: `acme/github-${n0}`,
        attestations: 'none',
        seed: `slug-${n0}`,
      });
      const sbom = path.join(stack.dir, 'sbom.cdx.json');
      writeFileSync(sbom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [] }));
      const r = await sign(built.ref, runnerOn('https://github.com', GHEC_SLUG), { 'sbom-path': sbom });
      expectSuccess(r);
      expect(r.outputs.count).toBe('4'); // CycloneDX and the generated SLSA provenance, on two platforms
    });
  });

  describe('when the token comes from an issuer that does not fit GITHUB_SERVER_URL', () => {
    it.each([
      ['GitHub.com', 'https://github.com', GHE_COM],
      ['GHE.com', 'https://octo.ghe.com', GITHUB_COM],
      ['GitHub Enterprise Server', 'https://ghes.example.com', GHEC_SLUG],
      ['another GitHub Enterprise Server', 'https://other-ghes.example.com', GHES],
    ])('on %s refuses it (OIDC_TOKEN_INVALID), logging and pushing nothing', async (_what, serverUrl, iss) => {
      const img = await image();
      const logged = stack.rekor.size();
      const r = await sign(img.ref, runnerOn(serverUrl, iss));
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([
        expect.stringMatching(
          new RegExp(
            `iss "${iss.replace(/[./]/g, '\\$&')}" does not fit GITHUB_SERVER_URL .*oidc-issuer.*\\[OIDC_TOKEN_INVALID\\]$`,
          ),
        ),
      ]);
      expect(r.errors[0]).toContain(`GITHUB_SERVER_URL ${new URL(serverUrl).origin} (expected `);
      expect(stack.rekor.size()).toBe(logged);
      await pushedNothing(img);
    });
  });

  describe('when oidc-issuer is given', () => {
    it('expects exactly that issuer, whatever GITHUB_SERVER_URL says', async () => {
      const img = await image();
      const r = await sign(img.ref, runnerOn('https://github.com', GHE_COM), { 'oidc-issuer': GHE_COM });
      expectSuccess(r);
      expect(r.outputs.count).toBe('4');
    });

    it('refuses a token from another issuer, naming the input', async () => {
      const img = await image();
      const r = await sign(img.ref, runnerOn('https://github.com', GITHUB_COM), { 'oidc-issuer': GHEC_SLUG });
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([
        expect.stringContaining(
          `iss "${GITHUB_COM}" is not the configured issuer ${GHEC_SLUG}; set the oidc-issuer input`,
        ),
      ]);
      await pushedNothing(img);
    });

    it('refuses an issuer that is not an https URL', async () => {
      const r = await sign('127.0.0.1:1/acme/x:1', runnerOn('https://github.com', GITHUB_COM), {
        'oidc-issuer': 'token.actions.githubusercontent.com',
      });
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([
        expect.stringMatching(/^input "oidc-issuer" is ".*"; give the issuer exactly .*\[INPUT_INVALID\]$/),
      ]);
    });
  });

  describe('on GitHub Enterprise Server with the public log (the default)', () => {
    it('warns that the public log is usually unreachable and suggests transparency-log: false or a private log', async () => {
      const img = await image();
      const r = await stack.runAction(
        SIGN_ACTION,
        { image: img.ref, timeout: '10s' },
        runnerOn('https://ghes.example.com', GHES),
      );
      expect(warnings(r)).toEqual([
        expect.stringMatching(
          /GITHUB_SERVER_URL https:\/\/ghes\.example\.com is GitHub Enterprise Server: the public transparency log https:\/\/rekor\.sigstore\.dev is usually unreachable .*transparency-log: false, or the URL of a private Rekor log/,
        ),
      ]);
      // Unreachable here too (the test network routes nothing to it): the run fails and publishes nothing.
      expect(r.code).toBe(1);
      await pushedNothing(img);
    });
  });

  describe('the signatures of a GitHub Enterprise Server issuer', () => {
    it('verify with the CLI and with the verify action alike, on their defaults', async () => {
      const img = await image();
      expectSuccess(await sign(img.ref, runnerOn('https://ghes.example.com', GHES)));
      const flags = ['--issuer', GHES, '--tlog-key', stack.tlogKeyFile, '--transparency-log', stack.rekor.url];
      const cli = await stack.runNode(
        CLI,
        ['verify', img.ref, ...flags, '--signer-claim', 'repository=octo-org/*'],
        network(GHES),
      );
      expect({ code: cli.code, err: cli.stderr }).toEqual({ code: 0, err: '' });
      const action = await stack.runAction(
        VERIFY_ACTION,
        {
          image: img.ref,
          issuer: GHES,
          'tlog-key': stack.tlogKeyFile,
          'transparency-log': stack.rekor.url,
          'signer-claims': 'repository=octo-org/*',
        },
        network(GHES),
      );
      expectSuccess(action);
      expect((JSON.parse(action.outputs.result!) as { passed: boolean }).passed).toBe(true);
    });
  });
});
