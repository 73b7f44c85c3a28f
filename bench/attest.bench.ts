/**
 * Attest hot paths: one signing run (PAEs, binding, one PK token, n signatures), strict
 * parse + verify of one envelope, the binding of a large run, and a large SBOM statement.
 * The PK token issuer/verifier are stand-ins: this measures the attest part alone.
 */
import { EphemeralKey } from '../src/identity/ephemeral-key.js';
import { signEnvelopes } from '../src/attest/sign-envelopes.js';
import { serializeEnvelope, parseEnvelope, pae } from '../src/attest/dsse.js';
import { bindingClaims } from '../src/attest/binding.js';
import { verifyAttestationEnvelope } from '../src/attest/verify-envelope.js';
import { IN_TOTO_MEDIA_TYPE } from '../src/core/in-toto.js';
import { makeStatement } from '../src/attest/intoto.js';
import { digestOf, sha256 } from '../src/core/digest.js';
import { opsPerSecond, report, peakRssMiB } from './util.js';

const key = EphemeralKey.generate();
const issue = async (cic: Readonly<Record<string, string>>) => Buffer.from(JSON.stringify({ upk: key.publicJwk, cic }));
const verifyPkToken = async (pkt: Buffer) => {
  const t = JSON.parse(pkt.toString());
  return { upk: t.upk, cicClaims: t.cic };
};
const statement = (i: number) =>
  makeStatement(
    [{ name: 'img', digest: digestOf(`platform-${i}`) }],
    'https://slsa.dev/provenance/v1',
    Buffer.from('{"buildDefinition":{}}'),
  );

for (const n of [1, 20, 200]) {
  const statements = Array.from({ length: n }, (_, i) => statement(i));
  const ops = await opsPerSecond(() => signEnvelopes({ statements, key, issuePkToken: issue }), 500);
  report(`signEnvelopes, run of ${n}`, ops * n, 'envelopes/s');
}

const [signed] = await signEnvelopes({ statements: [statement(0)], key, issuePkToken: issue });
const bytes = serializeEnvelope(signed!.envelope);
report('parseEnvelope (small statement)', await opsPerSecond(() => parseEnvelope(bytes), 500), 'ops/s');
report(
  'verifyAttestationEnvelope (stub PK token)',
  await opsPerSecond(
    () => verifyAttestationEnvelope(bytes, { verifyPkToken, expectedSubjectDigest: digestOf('platform-0') }),
    500,
  ),
  'ops/s',
);

const paes = Array.from({ length: 100 }, (_, i) => pae(IN_TOTO_MEDIA_TYPE, Buffer.from(`statement ${i}`)));
report('bindingClaims, run of 100', await opsPerSecond(() => bindingClaims(paes), 500), 'runs/s');

const sbom = Buffer.from(
  JSON.stringify({
    spdxVersion: 'SPDX-2.3',
    packages: Array.from({ length: 100_000 }, (_, i) => ({
      name: `pkg-${i}`,
      versionInfo: '1.0.0',
      SPDXID: `SPDXRef-${i}`,
    })),
  }),
);
const started = performance.now();
const big = makeStatement([{ name: 'img', digest: digestOf('x') }], 'https://spdx.dev/Document', sbom);
const [bigSigned] = await signEnvelopes({ statements: [big], key, issuePkToken: issue });
const bigBytes = serializeEnvelope(bigSigned!.envelope);
await verifyAttestationEnvelope(bigBytes, { verifyPkToken, expectedSubjectDigest: digestOf('x') });
report(`make+sign+verify ${(big.length / 1048576).toFixed(1)} MiB SBOM statement`, performance.now() - started, 'ms');
report('sha256 of that PAE', await opsPerSecond(() => sha256(pae(IN_TOTO_MEDIA_TYPE, big)), 300), 'ops/s');
report('peak RSS', peakRssMiB(), 'MiB');
