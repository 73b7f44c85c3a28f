/**
 * Go reads our certificate as Rekor does. Rekor parses the hashedrekord certificate with Go's
 * crypto/x509 and verifies the signature over the logged digest with its key; until now only
 * Node and OpenSSL had parsed it. `x509check` (standard library only, in this folder) does
 * Rekor's steps on entries a real `signImages` run logged, and must refuse broken ones.
 * Under CI=true a missing `go` fails the suite; elsewhere it skips with the reason (../requirements.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { githubActionsProvider } from '../../src/identity/oidc/index.js';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { createTransport } from '../../src/oci/transport/client.js';
import { signImages } from '../../src/sign/index.js';
import { buildHashedRekord, createPkTokenCertificate, parseHashedRekordBody } from '../../src/tlog/index.js';
import { DEFAULT_GITHUB_CLAIMS, startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry, type OciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { describeWith } from '../requirements.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Go's KeyUsageDigitalSignature and ExtKeyUsageCodeSigning. */
const GO_KEY_USAGE_DIGITAL_SIGNATURE = 1;
const GO_EXT_KEY_USAGE_CODE_SIGNING = 3;

interface GoReport {
  version: number;
  serial: string;
  signatureAlgorithm: string;
  curve: string;
  subjectCN: string;
  issuerCN: string;
  dnsNames: string[];
  keyUsage: number;
  extKeyUsage: number[];
  basicConstraintsValid: boolean;
  isCA: boolean;
  subjectKeyId: string;
  oidcIssuer: string;
  unhandledCriticalExtensions: string[];
}

type Entry = { kind: string; apiVersion: string; spec: any };

describeWith(['go'], 'x509check (Go crypto/x509, as Rekor parses hashedrekord)', () => {
  let work: string;
  let binary: string;
  let oidc: GithubOidc;
  let rekor: RekorLog;
  let registry: OciRegistry;
  /** The bodies the log holds after one signing run, as Rekor would have received them. */
  let logged: Entry[];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'opk-x509check-'));
    binary = buildChecker(work);
    [oidc, rekor, registry] = await Promise.all([startGithubOidc(), startRekorLog(), startOciRegistry()]);
    const t = createTransport(registry.host);
    const built = await pushBuildkitImage(t, { repository: 'acme/go', seed: 'x509check' });
    await t.close();
    const result = await signImages({
      images: [`${registry.host}/acme/go@${built.digest}`],
      provider: githubActionsProvider({
        env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
        issuer: oidc.issuer,
        setSecret: () => {},
      }),
      transparencyLog: rekor.url,
    });
    logged = await Promise.all(result.signed.map((s) => loggedBody(rekor.url, s.logIndex!)));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([oidc?.close(), rekor?.close(), registry?.close()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const run = (entry: unknown) => {
    const file = path.join(work, `entry-${process.hrtime.bigint()}.json`);
    writeFileSync(file, typeof entry === 'string' ? entry : JSON.stringify(entry));
    return spawnSync(binary, [file], { encoding: 'utf8' });
  };
  const accepted = (entry: unknown): GoReport => {
    const r = run(entry);
    if (r.status !== 0) throw new Error(`x509check refused a certificate made by sign: ${r.stderr}`);
    return JSON.parse(r.stdout) as GoReport;
  };
  const refused = (entry: unknown, stage: string) => {
    const r = run(entry);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^x509check: ${stage}: `));
  };
  const withSpec = (e: Entry, edit: (spec: any) => void): Entry => {
    const copy = structuredClone(e);
    edit(copy.spec);
    return copy;
  };
  const pemOf = (e: Entry) => Buffer.from(e.spec.signature.publicKey.content, 'base64').toString('utf8');
  const withPem = (e: Entry, pem: string | Buffer) =>
    withSpec(e, (s) => (s.signature.publicKey.content = Buffer.from(pem).toString('base64')));

  describe('when given the entries a sign run logged', () => {
    it('parses every certificate and verifies every signature over its digest', () => {
      expect(logged.length).toBe(4); // 2 platforms × (SPDX + provenance)
      for (const e of logged) accepted(e);
    });

    it('reads the openpubkey layout: CN and DNS SAN = sub, the PK token in the SKI, the issuer extension', () => {
      for (const e of logged) {
        const go = accepted(e);
        const ours = parseHashedRekordBody(Buffer.from(JSON.stringify(e)));
        expect(go).toMatchObject({
          version: 3,
          serial: '1',
          signatureAlgorithm: 'ECDSA-SHA256',
          curve: 'P-256',
          subjectCN: DEFAULT_GITHUB_CLAIMS.sub,
          issuerCN: DEFAULT_GITHUB_CLAIMS.sub,
          dnsNames: [DEFAULT_GITHUB_CLAIMS.sub],
          keyUsage: GO_KEY_USAGE_DIGITAL_SIGNATURE,
          extKeyUsage: [GO_EXT_KEY_USAGE_CODE_SIGNING],
          basicConstraintsValid: true,
          isCA: false,
          oidcIssuer: oidc.issuer,
          unhandledCriticalExtensions: [],
        });
        expect(Buffer.from(go.subjectKeyId, 'base64')).toEqual(ours.certificate.pkTokenJson);
      }
    });
  });

  describe('when the signature is altered', () => {
    it('refuses it at verify', () =>
      refused(
        withSpec(logged[0]!, (s) => {
          const sig = Buffer.from(s.signature.content, 'base64');
          sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
          s.signature.content = sig.toString('base64');
        }),
        'verify',
      ));
  });

  describe('when the digest is another envelope’s', () => {
    it('refuses it at verify', () =>
      refused(
        withSpec(logged[0]!, (s) => (s.data.hash.value = logged[1]!.spec.data.hash.value)),
        'verify',
      ));
  });

  describe('when the certificate is a valid one for another key', () => {
    it('refuses it at verify', () => {
      const other = createPkTokenCertificate({
        key: EphemeralKey.generate(),
        pkTokenJson: Buffer.from('{"payload":"e30","signatures":[]}'),
        subject: String(DEFAULT_GITHUB_CLAIMS.sub),
        issuer: oidc.issuer,
      });
      refused(withPem(logged[0]!, other.pem), 'verify');
    });
  });

  describe('when the certificate DER is broken', () => {
    it('refuses a truncated certificate at x509', () => {
      const der = pemDer(pemOf(logged[0]!));
      refused(withPem(logged[0]!, goPem(der.subarray(0, der.length - 10))), 'x509');
    });

    it('refuses a certificate whose DNS SAN is not IA5 at x509', () => {
      // Same length, so every enclosing DER length stays right: only Go's SAN check can object.
      const pem = pemOf(logged[0]!);
      const der = pemDer(pem);
      const sub = Buffer.from(String(DEFAULT_GITHUB_CLAIMS.sub));
      const san = der.indexOf(Buffer.concat([Buffer.from([0x82, sub.length]), sub]));
      expect(san).toBeGreaterThan(0);
      der[san + 2] = 0xff;
      refused(withPem(logged[0]!, goPem(der)), 'x509');
    });

    it('refuses a certificate whose self-signature no longer matches at self-signature', () => {
      // Change one character of the validity (UTCTime digits): DER stays well-formed, the key and
      // the envelope signature still match, only the certificate's own signature breaks.
      const der = pemDer(pemOf(logged[0]!));
      const utc = der.indexOf(Buffer.from([0x17, 0x0d]));
      der[utc + 2 + 11] = der[utc + 2 + 11] === 0x30 ? 0x31 : 0x30; // a seconds digit
      refused(withPem(logged[0]!, goPem(der)), 'self-signature');
    });
  });

  describe('when the PEM is not the one Rekor would log', () => {
    it('refuses CRLF line ends at canonical', () =>
      refused(withPem(logged[0]!, pemOf(logged[0]!).replace(/\n/g, '\r\n')), 'canonical'));
    it('refuses a second block (a chain) at pem', () =>
      refused(withPem(logged[0]!, pemOf(logged[0]!) + pemOf(logged[1]!)), 'pem'));
    it('refuses a public key instead of a certificate at pem', () =>
      refused(withPem(logged[0]!, pemOf(logged[0]!).replace(/CERTIFICATE/g, 'PUBLIC KEY')), 'pem'));
  });

  describe('when the proposal is built by buildHashedRekord from sign’s parts', () => {
    it('is accepted like the logged body', () => {
      const e = logged[0]!;
      const proposal = buildHashedRekord({
        paeSha256: Buffer.from(e.spec.data.hash.value, 'hex'),
        signatureDer: Buffer.from(e.spec.signature.content, 'base64'),
        certificatePem: pemOf(e),
      });
      expect(accepted(proposal).subjectCN).toBe(DEFAULT_GITHUB_CLAIMS.sub);
    });
  });
});

/** Builds x509check once into `work`, offline, with caches in `work` (HOME may not be writable). */
function buildChecker(work: string): string {
  const out = path.join(work, 'x509check');
  const cache = path.join(work, 'go');
  mkdirSync(cache, { recursive: true });
  const r = spawnSync('go', ['build', '-o', out, '.'], {
    cwd: path.join(here, 'x509check'),
    encoding: 'utf8',
    env: {
      ...process.env,
      GOCACHE: path.join(cache, 'cache'),
      GOPATH: path.join(cache, 'path'),
      GOTOOLCHAIN: 'local',
      GOFLAGS: '-buildvcs=false',
      GOPROXY: 'off',
      GO111MODULE: 'on',
    },
  });
  if (r.status !== 0) throw new Error(`go build of __tests__/go/x509check failed: ${r.stderr}`);
  return out;
}

async function loggedBody(url: string, logIndex: number): Promise<Entry> {
  const res = await fetch(`${url}/api/v1/log/entries?logIndex=${logIndex}`);
  const byUuid = (await res.json()) as Record<string, { body: string }>;
  const [only] = Object.values(byUuid);
  return JSON.parse(Buffer.from(only!.body, 'base64').toString('utf8')) as Entry;
}

function pemDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** Go's encoding/pem layout: 64-character lines, LF ends. */
function goPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
