/**
 * An in-process OpenID provider for the identity tests: an RSA key (generated here, e = 65537
 * unless told), its public JWK, and RS256 ID tokens minted with jose and node:crypto (never with
 * the `src/` code under test). `issueFrom` then drives the real issuance code against it.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { issuePkToken } from '../../src/identity/issue-pk-token.js';
import type { JwkInput } from '../../src/identity/jwk.js';
import type { PkToken } from '../../src/identity/pk-token.js';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export interface TestOp {
  issuer: string;
  kid: string;
  privateKey: KeyObject;
  /** The public JWK as a JWKS would publish it (kid, alg RS256, use sig). */
  jwk: JwkInput;
  /** Mints an RS256 ID token with GitHub-like claims, `overrides` merged last (undefined removes). */
  mint(overrides?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** A KeyFinder serving this OP's key for its issuer. */
  findKey(issuer: string, kid: string | undefined): Promise<JwkInput | undefined>;
}

export function createTestOp(opts: { issuer?: string; publicExponent?: number; modulusLength?: number } = {}): TestOp {
  const issuer = opts.issuer ?? GITHUB_ISSUER;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: opts.modulusLength ?? 2048,
    publicExponent: opts.publicExponent ?? 65537,
  });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const kid = createHash('sha1').update(spki).digest('hex').toUpperCase();
  const pub = publicKey.export({ format: 'jwk' });
  const jwk: JwkInput = { kty: 'RSA', n: pub.n, e: pub.e, kid, alg: 'RS256', use: 'sig' };
  return {
    issuer,
    kid,
    privateKey,
    jwk,
    async mint(overrides = {}, header = {}) {
      const iat = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer,
        sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
        aud: 'sigstore',
        repository: 'octo-org/octo-repo',
        job_workflow_ref: 'octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main',
        nbf: iat - 600,
        iat,
        exp: iat + 300,
        ...overrides,
      };
      for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
      return new SignJWT(payload)
        .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid, ...header } as { alg: string })
        .sign(privateKey);
    },
    async findKey(iss, k) {
      return iss === issuer && (k === kid || k === undefined) ? jwk : undefined;
    },
  };
}

/** Issues a PK token from `op` the way GitHub Actions does (aud commitment, GQ256). */
export async function issueFrom(
  op: TestOp,
  opts: {
    key?: EphemeralKey;
    extraClaims?: Record<string, string>;
    claims?: Record<string, unknown>;
    commitmentClaim?: 'aud' | 'nonce';
    gq?: boolean;
  } = {},
): Promise<PkToken> {
  const claim = opts.commitmentClaim ?? 'aud';
  return issuePkToken({
    requestIdToken: (commitment) => op.mint({ ...opts.claims, [claim]: commitment }),
    commitmentClaim: claim,
    key: opts.key ?? EphemeralKey.generate(),
    extraClaims: opts.extraClaims,
    findKey: op.findKey,
    gq: opts.gq ?? true,
  });
}
