/**
 * Test material for the attest suites: hand-written statements, and a stand-in PK token
 * issuer/verifier pair. The stand-in is a function parameter (the identity part is wired in
 * by the real signer and verifier); its "token" is plain JSON carrying the upk and CIC claims.
 */
import { createHash } from 'node:crypto';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { signEnvelopes, type SignedEnvelope } from '../../src/attest/sign-envelopes.js';
import { serializeEnvelope } from '../../src/attest/dsse.js';
import type { Digest } from '../../src/core/digest.js';

/** A platform manifest digest made from a label. */
export function digestFor(label: string): Digest {
  return `sha256:${createHash('sha256').update(label).digest('hex')}`;
}

/** A BuildKit-like statement for `digest`, written by hand (not by makeStatement). */
export function statementBytes(digest: Digest, predicateType = 'https://slsa.dev/provenance/v0.2', extra = ''): Buffer {
  return Buffer.from(
    `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":${JSON.stringify(predicateType)},` +
      `"subject":[{"name":"pkg:docker/acme/app@1?platform=linux%2Famd64","digest":{"sha256":"${digest.slice(7)}"}}],` +
      `"predicate":{"builder":{"id":"x"}${extra}}}\n`,
  );
}

/** What the stand-in verifier returns. */
export interface StubPkToken {
  upk: { kty: string; crv: string; alg?: string; x: string; y: string };
  cicClaims: Record<string, unknown>;
}

/** A stand-in issuer: records every call and returns a fake PK token holding the upk and claims. */
export function stubIssuer(key: EphemeralKey) {
  const calls: Record<string, string>[] = [];
  const issue = async (extra: Readonly<Record<string, string>>): Promise<Buffer> => {
    calls.push({ ...extra });
    return Buffer.from(JSON.stringify({ upk: key.publicJwk, cic: { ...extra, rz: 'ab'.repeat(32) } }));
  };
  return { issue, calls };
}

/** The stand-in verifier matching `stubIssuer`. */
export async function stubVerify(pkt: Buffer): Promise<StubPkToken> {
  const t = JSON.parse(pkt.toString('utf8'));
  return { upk: t.upk, cicClaims: t.cic };
}

/** Signs one run of statements for the given platform digests; returns envelopes and their bytes. */
export async function signRun(
  digests: readonly Digest[],
  key = EphemeralKey.generate(),
): Promise<{ key: EphemeralKey; signed: SignedEnvelope[]; bytes: Buffer[] }> {
  const { issue } = stubIssuer(key);
  const signed = await signEnvelopes({ statements: digests.map((d) => statementBytes(d)), key, issuePkToken: issue });
  return { key, signed, bytes: signed.map((s) => serializeEnvelope(s.envelope)) };
}

/** Rewrites one envelope JSON with `edit` applied to its parsed object. */
export function editEnvelope(bytes: Buffer, edit: (env: any) => void): Buffer {
  const env = JSON.parse(bytes.toString('utf8'));
  edit(env);
  return Buffer.from(JSON.stringify(env));
}
