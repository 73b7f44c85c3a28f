/**
 * Transparency-log costs: making the PK-token certificate, verifying an `ext.tl` entry offline
 * (SET + checkpoint + inclusion proof + certificate self-signature), and logging through the
 * Rekor v1 client against the test log on loopback (its bigint ECDSA check of the submitted
 * signature dominates; a real Rekor is a network round trip instead).
 */
import { createHash } from 'node:crypto';
import { EphemeralKey } from '../src/identity/ephemeral-key.js';
import { buildHashedRekord } from '../src/tlog/hashedrekord.js';
import { LogPublicKey, createLogKeyring } from '../src/tlog/keys.js';
import { RekorClient } from '../src/tlog/rekor.js';
import { verifyTlogEntry } from '../src/tlog/verify-entry.js';
import { createPkTokenCertificate } from '../src/tlog/x509.js';
import { startRekorLog } from '../__tests__/fakes/rekor-log.js';
import { opsPerSecond, peakRssMiB, report } from './util.js';

const key = EphemeralKey.generate();
const pkTokenJson = Buffer.from(
  JSON.stringify({
    payload: 'x'.repeat(1500),
    signatures: [{ protected: 'y'.repeat(200), signature: 'z'.repeat(700) }],
  }),
);
const cert = (): string =>
  createPkTokenCertificate({
    key,
    pkTokenJson,
    subject: 'repo:o/r:ref:refs/heads/main',
    issuer: 'https://token.actions.githubusercontent.com',
  }).pem;
report('createPkTokenCertificate (2.5 KiB PK token)', await opsPerSecond(cert, 500), 'ops/s');

let counter = 0;
function signature() {
  const pae = Buffer.from(`DSSEv1 28 application/vnd.in-toto+json 8 stmt${String(counter++).padStart(4, '0')}`);
  const paeSha256 = createHash('sha256').update(pae).digest();
  const signatureDer = key.signDer(pae);
  return {
    expected: { paeSha256, signatureDer, pkTokenJson },
    proposal: buildHashedRekord({ paeSha256, signatureDer, certificatePem: cert() }),
  };
}

const log = await startRekorLog();
try {
  const client = new RekorClient({ url: log.url });
  const logs = createLogKeyring([LogPublicKey.fromPem(log.publicKeyPem)]);
  for (let i = 0; i < 1000; i++) await client.createEntry(signature().proposal);
  report(
    'RekorClient.createEntry (loopback test log)',
    await opsPerSecond(() => client.createEntry(signature().proposal), 1000),
    'entries/s',
  );
  const s = signature();
  const entry = await client.createEntry(s.proposal);
  report(
    `verifyTlogEntry (tree of ${log.size()}, ${entry.verification.inclusionProof!.hashes.length} proof hashes)`,
    await opsPerSecond(() => verifyTlogEntry(entry, s.expected, logs), 1000),
    'ops/s',
  );
} finally {
  await log.close();
}
report('peak RSS', peakRssMiB(), 'MiB');
