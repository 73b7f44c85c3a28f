/**
 * Valid inputs for the fuzzers to mutate: what one real signing run produces (the loopback
 * GitHub OIDC endpoint, the test Rekor log and the in-process referrers-API registry), the
 * public-good Rekor vectors, and the real Google compact PK token of the openpubkey vectors.
 */
import { githubActionsProvider } from '../../src/identity/oidc/index.js';
import { parsePkToken } from '../../src/identity/pk-token.js';
import { parseEnvelope } from '../../src/attest/dsse.js';
import { createTransport } from '../../src/oci/transport/client.js';
import { getBlob } from '../../src/oci/content-blobs.js';
import { getManifest } from '../../src/oci/content-manifests.js';
import { listReferrers } from '../../src/oci/referrers-list.js';
import { isIndex } from '../../src/oci/manifest.js';
import { signImages } from '../../src/sign/index.js';
import { startGithubOidc } from '../fakes/github-oidc.js';
import { startOciRegistry } from '../fakes/oci-registry.js';
import { startRekorLog } from '../fakes/rekor-log.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { loadRekorVectors, loadVectors } from '../helpers.js';
import { pae } from '../../src/attest/dsse.js';
import { IN_TOTO_MEDIA_TYPE } from '../../src/core/in-toto.js';
import { sha256 } from '../../src/core/digest.js';
import type { ExpectedSignature } from '../../src/tlog/hashedrekord.js';
import { createLogKeyring, LogPublicKey, type LogKeyring } from '../../src/tlog/keys.js';

/** Seeds by format. */
export interface Seeds {
  pkTokenJson: Buffer[];
  pkTokenCompact: string[];
  envelopes: Buffer[];
  statements: Buffer[];
  manifests: Buffer[];
  indexes: Buffer[];
  /** Referrers API pages and fallback-tag indexes (the same OCI index shape). */
  referrerIndexes: Buffer[];
  /** Raw bodies of GET /api/v1/log/entries?logIndex=N and GET /api/v1/log of the test log and the real responses' shape. */
  rekorEntryResponses: Buffer[];
  rekorLogInfo: Buffer[];
  checkpoints: string[];
  hashedRekordBodies: Buffer[];
  certificatesDer: Buffer[];
  logKeyPem: string[];
  /** The `ext.tl` entries of the run's envelopes (JSON), and what the first one must match. */
  tlEntries: Buffer[];
  expected: ExpectedSignature;
  logKeyring: LogKeyring;
  /** The issuer and subject of the run (for policies). */
  issuer: string;
}

/** Signs one two-platform image on loopback and collects what every parser reads. */
export async function collectSeeds(): Promise<Seeds> {
  const [oidc, rekor, registry] = await Promise.all([startGithubOidc(), startRekorLog(), startOciRegistry()]);
  try {
    const t = createTransport(registry.host);
    const repo = 'acme/fuzz';
    const built = await pushBuildkitImage(t, { repository: repo, seed: 'fuzz' });
    const result = await signImages({
      images: [`${registry.host}/${repo}@${built.digest}`],
      provider: githubActionsProvider({
        env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
        issuer: oidc.issuer,
        setSecret: () => {},
      }),
      transparencyLog: rekor.url,
    });
    const top = await getManifest(t, repo, built.digest);
    const manifests: Buffer[] = [];
    const referrerIndexes: Buffer[] = [];
    const envelopes: Buffer[] = [];
    if (!isIndex(top.manifest)) throw new Error('the fixture image is not an index');
    for (const d of top.manifest.manifests) {
      manifests.push((await getManifest(t, repo, d.digest)).bytes);
      const page = await fetch(`http://${registry.host}/v2/${repo}/referrers/${d.digest}`);
      if (page.ok) referrerIndexes.push(Buffer.from(await page.arrayBuffer()));
      for (const r of (await listReferrers(t, repo, d.digest)).referrers) {
        const artifact = await getManifest(t, repo, r.digest);
        manifests.push(artifact.bytes);
        const layer = (artifact.manifest as { layers: Array<{ digest: `sha256:${string}`; size: number }> }).layers[0]!;
        envelopes.push(await getBlob(t, repo, layer, 1 << 22));
      }
    }
    await t.close();
    const parsed = envelopes.map((e) => parseEnvelope(e));
    const statements = parsed.map((e) => Buffer.from(e.payload));
    const pkts = [...new Set(parsed.map((e) => Buffer.from(e.signature.ext.pkt).toString('utf8')))];
    const google = parsePkToken(String(loadVectors().google_gq_legacy.compact));
    const entryResponses: Buffer[] = [];
    for (const s of result.signed) {
      const res = await fetch(`${rekor.url}/api/v1/log/entries?logIndex=${s.logIndex}`);
      entryResponses.push(Buffer.from(await res.arrayBuffer()));
    }
    const info = Buffer.from(await (await fetch(`${rekor.url}/api/v1/log`)).arrayBuffer());
    const bodies = entryResponses.map((r) => {
      const [only] = Object.values(JSON.parse(r.toString('utf8')) as Record<string, { body: string }>);
      return Buffer.from(only!.body, 'base64');
    });
    const real = loadRekorVectors();
    const realBodies = (real.entries as Array<{ canonicalizedBody: string }>).map((e) =>
      Buffer.from(e.canonicalizedBody, 'base64'),
    );
    return {
      pkTokenJson: [...pkts.map((p) => Buffer.from(p, 'utf8')), google.jsonBytes()],
      pkTokenCompact: [google.compact(), ...pkts.map((p) => parsePkToken(p).compact())],
      envelopes,
      statements,
      manifests,
      indexes: [top.bytes],
      referrerIndexes,
      rekorEntryResponses: [...entryResponses, ...realEntryResponses(real)],
      rekorLogInfo: [info],
      checkpoints: [
        String((JSON.parse(info.toString('utf8')) as { signedTreeHead: string }).signedTreeHead),
        ...(real.entries as Array<{ inclusionProof: { checkpoint: string } }>).map((e) => e.inclusionProof.checkpoint),
      ],
      hashedRekordBodies: [...bodies, ...realBodies],
      certificatesDer: bodies.map((b) => certificateDer(b)),
      logKeyPem: [rekor.publicKeyPem, String(real.rekor_public_key_pem)],
      tlEntries: parsed.map((e) => Buffer.from(JSON.stringify(e.signature.ext.tl))),
      expected: {
        paeSha256: sha256(pae(IN_TOTO_MEDIA_TYPE, parsed[0]!.payload)),
        signatureDer: parsed[0]!.signature.sig,
        pkTokenJson: parsed[0]!.signature.ext.pkt,
      },
      logKeyring: createLogKeyring([LogPublicKey.fromPem(rekor.publicKeyPem)]),
      issuer: oidc.issuer,
    };
  } finally {
    await Promise.all([oidc.close(), rekor.close(), registry.close()]);
  }
}

/** The vectors' entries in the shape GET /api/v1/log/entries/{uuid} answers. */
function realEntryResponses(real: any): Buffer[] {
  return (real.entries as any[]).map((e) =>
    Buffer.from(
      JSON.stringify({
        [e.uuid ?? e.leaf_hash_hex]: {
          body: e.canonicalizedBody,
          integratedTime: e.integratedTime,
          logID: e.logID,
          logIndex: e.logIndex,
          verification: { inclusionProof: e.inclusionProof, signedEntryTimestamp: e.signedEntryTimestamp },
        },
      }),
    ),
  );
}

function certificateDer(body: Buffer): Buffer {
  const pem = Buffer.from(
    (JSON.parse(body.toString('utf8')) as { spec: { signature: { publicKey: { content: string } } } }).spec.signature
      .publicKey.content,
    'base64',
  ).toString('utf8');
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
