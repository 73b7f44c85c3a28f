/** Test helper: one envelope signature as the signer makes it (key, PAE hash, DER signature,
 * a PK-token-like JSON blob, its certificate and the proposed hashedrekord entry). */
import { createHash } from 'node:crypto';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { buildHashedRekord, type ExpectedSignature, type HashedRekordProposal } from '../../src/tlog/hashedrekord.js';
import { createPkTokenCertificate } from '../../src/tlog/x509.js';

export const SUB = 'repo:octo-org/octo-repo:ref:refs/heads/main';
export const ISS = 'https://token.actions.githubusercontent.com';

export interface TestSignature {
  key: EphemeralKey;
  pae: Buffer;
  expected: Required<ExpectedSignature>;
  certificatePem: string;
  proposal: HashedRekordProposal;
}

/** DSSE PAE of a small statement, written out here (the real PAE lives in attest/dsse). */
function pae(payload: string): Buffer {
  const type = 'application/vnd.in-toto+json';
  return Buffer.from(`DSSEv1 ${type.length} ${type} ${Buffer.byteLength(payload)} ${payload}`);
}

/** A fresh signature over a statement naming `label`. */
export function makeSignature(label = 'img', key = EphemeralKey.generate()): TestSignature {
  const bytes = pae(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: label, digest: { sha256: '0'.repeat(64) } }],
    }),
  );
  const paeSha256 = createHash('sha256').update(bytes).digest();
  const signatureDer = key.signDer(bytes);
  const pkTokenJson = Buffer.from(
    JSON.stringify({
      payload: Buffer.from(JSON.stringify({ iss: ISS, sub: SUB, label })).toString('base64url'),
      signatures: [{ protected: 'eyJ0eXAiOiJDSUMifQ', signature: 'c2ln' }],
    }),
  );
  const { pem } = createPkTokenCertificate({ key, pkTokenJson, subject: SUB, issuer: ISS });
  return {
    key,
    pae: bytes,
    expected: { paeSha256, signatureDer, pkTokenJson, spkiDer: key.spkiDer },
    certificatePem: pem,
    proposal: buildHashedRekord({ paeSha256, signatureDer, certificatePem: pem }),
  };
}
