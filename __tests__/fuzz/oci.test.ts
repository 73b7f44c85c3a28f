/**
 * Fuzzing the OCI parsers: manifests and indexes (also as served by a registry), referrers API
 * pages and the fallback-tag index (through `listReferrers` over HTTP), WWW-Authenticate,
 * registry error bodies, Docker/podman auth files and credential-helper output.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parseManifest } from '../../src/oci/manifest.js';
import { getManifest } from '../../src/oci/content-manifests.js';
import { listReferrers } from '../../src/oci/referrers-list.js';
import { createTransport, type ClosableTransport } from '../../src/oci/transport/client.js';
import { findChallenge, parseChallenges } from '../../src/oci/transport/challenge.js';
import { parseErrorBody } from '../../src/oci/transport/registry-error.js';
import { resolveCredential } from '../../src/oci/transport/auth.js';
import { parseHelperOutput } from '../../src/oci/transport/credential-helper.js';
import { parseReference } from '../../src/oci/reference.js';
import { bytesFrom, fuzz, TARGET_TIMEOUT_MS, textFrom } from './harness.js';
import { startHostileServer, type HostileServer } from './hostile-server.js';
import { collectSeeds, type Seeds } from './seeds.js';

const MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/json',
  'text/html',
];
const contentType = fc.oneof(fc.constantFrom(...MEDIA_TYPES), fc.string({ maxLength: 40 }));
const SUBJECT = `sha256:${'ab'.repeat(32)}` as const;

let seeds: Seeds;
let server: HostileServer;
let t: ClosableTransport;
let home: string;
beforeAll(async () => {
  seeds = await collectSeeds();
  server = await startHostileServer();
  t = createTransport(server.host, { attempts: 1 });
  home = mkdtempSync(path.join(tmpdir(), 'opk-fuzz-auth-'));
}, 120_000);
afterAll(async () => {
  await t?.close();
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('parseManifest', () => {
  it(
    'returns a manifest or index, or a coded error',
    () =>
      fuzz(
        'OCI manifest and index',
        fc.tuple(bytesFrom([...seeds.manifests, ...seeds.indexes, ...seeds.referrerIndexes]), fc.option(contentType)),
        ([b, type]) => parseManifest(b, type === null ? {} : { contentType: type }),
      ),
    TARGET_TIMEOUT_MS,
  );
});

describe('getManifest', () => {
  it(
    'reads whatever a registry serves for a tag into a manifest or a coded error',
    () =>
      fuzz(
        'OCI manifest over HTTP',
        fc.tuple(bytesFrom([...seeds.manifests, ...seeds.indexes]), contentType),
        async ([body, type]) => {
          server.answer({ status: 200, headers: { 'content-type': type }, body });
          await getManifest(t, 'acme/app', 'latest');
        },
      ),
    TARGET_TIMEOUT_MS,
  );
});

describe('listReferrers', () => {
  it(
    'reads a fallback-tag index into referrers or a coded error',
    () =>
      fuzz('fallback-tag index', fc.tuple(bytesFrom(seeds.referrerIndexes), contentType), async ([body, type]) => {
        server.answer({ status: 200, headers: { 'content-type': type }, body });
        await listReferrers(t, 'acme/app', SUBJECT, { mode: 'tag' });
      }),
    TARGET_TIMEOUT_MS,
  );
  it(
    'reads a referrers API page into referrers or a coded error',
    () =>
      fuzz(
        'referrers API page',
        fc.tuple(bytesFrom(seeds.referrerIndexes), contentType, fc.option(fc.string({ maxLength: 80 }))),
        async ([body, type, link]) => {
          server.answer({
            status: 200,
            headers: { 'content-type': type, ...(link === null ? {} : { link }) },
            body,
          });
          await listReferrers(t, 'acme/app', SUBJECT, { mode: 'api' });
        },
      ),
    TARGET_TIMEOUT_MS,
  );
});

describe('parseChallenges', () => {
  const headers = [
    'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull"',
    'Basic realm="Registry Realm"',
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io", Basic realm="x"',
    'Bearer realm=https://r.example/token,service=r.example,error="insufficient_scope"',
  ];
  it(
    'returns challenges for any header value (it never throws)',
    () =>
      fuzz('WWW-Authenticate', textFrom(headers, 1024), (h) => {
        parseChallenges(h);
        findChallenge(h, 'bearer');
      }),
    TARGET_TIMEOUT_MS,
  );
});

describe('parseErrorBody', () => {
  const bodies = [
    '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"latest"}}]}',
    '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"},{"code":"UNAUTHORIZED"}]}',
  ].map((s) => Buffer.from(s));
  it(
    'returns entries for any body (it never throws)',
    () => fuzz('registry error body', bytesFrom(bodies), (b) => parseErrorBody(b)),
    TARGET_TIMEOUT_MS,
  );
});

describe('resolveCredential', () => {
  const configs = [
    { auths: { '127.0.0.1:5000': { auth: Buffer.from('user:pass').toString('base64') } } },
    { auths: { 'https://index.docker.io/v1/': { auth: 'dXNlcjpwYXNz', identitytoken: 'tok' } }, credsStore: 'desktop' },
    { auths: { 'ghcr.io/acme': { username: 'u', password: 'p' } }, credHelpers: { 'quay.io': 'ecr-login' } },
  ].map((c) => Buffer.from(JSON.stringify(c)));
  it(
    'reads any Docker config into a credential, none, or a coded error',
    () =>
      fuzz(
        'Docker config',
        fc.tuple(bytesFrom(configs), fc.constantFrom('127.0.0.1:5000', 'docker.io', 'ghcr.io', 'quay.io')),
        async ([file, registry]) => {
          const dir = path.join(home, 'docker');
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir, { recursive: true });
          writeFileSync(path.join(dir, 'config.json'), file);
          // PATH is empty: a helper named in the file is not found (a coded error), never run.
          await resolveCredential(registry, {
            repository: 'acme/app',
            env: { HOME: home, DOCKER_CONFIG: dir, PATH: path.join(home, 'no-helpers') },
          });
        },
      ),
    TARGET_TIMEOUT_MS,
  );
  it(
    'reads any credential-helper output into a credential, none, or a coded error',
    () =>
      fuzz(
        'credential-helper output',
        textFrom([
          '{"ServerURL":"ghcr.io","Username":"u","Secret":"s"}',
          '{"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"refresh"}',
        ]),
        (out) => parseHelperOutput('fuzz', 'ghcr.io', out),
      ),
    TARGET_TIMEOUT_MS,
  );
});

describe('parseReference', () => {
  it(
    'returns a reference or a coded error',
    () =>
      fuzz(
        'image reference',
        textFrom(['ghcr.io/acme/app:1.0', `127.0.0.1:5000/acme/app@${SUBJECT}`, 'docker.io/library/alpine'], 300),
        (s) => parseReference(s),
      ),
    TARGET_TIMEOUT_MS,
  );
});
