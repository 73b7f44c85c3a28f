/**
 * Trust material and a one-rule policy from plain options, for the shells (`opk-attest verify`
 * flags, the verify sub-action's inputs) when the policy does not come from a TUF repository.
 */
import os from 'node:os';
import path from 'node:path';
import type { Deadline } from '../core/deadline.js';
import { discoveryKeyFinder, type KeyFinder } from '../identity/index.js';
import { parsePolicy, sigstoreTrustedRoot, type Policy } from '../policy/index.js';
import { createLogKeyring, LogPublicKey, parseTrustedRootLogs, RekorClient, type LogKeyring } from '../tlog/index.js';
import { VerifyError } from './errors.js';
import type { TrustMaterial } from './verifier.js';

/** The public-good Rekor instance, whose key comes from Sigstore's public-good trusted root. */
export const PUBLIC_GOOD_REKOR = 'https://rekor.sigstore.dev';

/** What a one-rule policy says. */
export interface SimplePolicyOptions {
  issuers: readonly string[];
  /** Claim patterns (exact or glob) every signer must match. */
  claims: Readonly<Record<string, string>>;
  threshold: number;
  require: readonly string[];
  /** False: signatures need no log entry. */
  transparencyLog: string | false;
}

/**
 * The policy "any of these issuers' identities matching the claims; N of them; these predicates",
 * checked by the policy parser like any policy.json.
 * @throws PolicyError POLICY_INVALID naming the bad option
 */
export function simplePolicy(o: SimplePolicyOptions, what = 'verification options'): Policy {
  const signers = o.issuers.map((issuer, n) => ({
    name: o.issuers.length === 1 ? 'signer' : `signer-${n + 1}`,
    issuer,
    claims: o.claims,
  }));
  const rule = {
    scope: '**',
    signers,
    threshold: o.threshold,
    require: o.require,
    transparencyLog: o.transparencyLog === false ? 'optional' : 'required',
    level: 'enforce',
  };
  return parsePolicy(Buffer.from(JSON.stringify({ rules: [rule], revoked: { digests: [], signers: [] } })), what);
}

/** Inputs of `simpleTrust`. */
export interface SimpleTrustOptions {
  issuers: readonly string[];
  commitmentClaim: 'aud' | 'nonce';
  /** OP keys; default the issuers' live JWKS by OIDC discovery. */
  findKey?: KeyFinder;
  /** Where `findKey`'s keys come from, for the report (e.g. "--jwks keys.json"). */
  findKeySource?: string;
  /** PEM public keys of the transparency logs, pinned by the user. */
  logKeyPems: readonly string[];
  /** Where the pinned PEMs come from, for the report (e.g. "--tlog-key rekor.pem"). */
  logKeySource?: string;
  /** A Sigstore trusted_root.json the user pinned, naming the log's key by its URL. */
  trustedRoot?: { bytes: Uint8Array; source: string };
  /** The log URL, or false when signatures need no log entry. */
  transparencyLog: string | false;
  /** Use the key the log serves (trust on first use), announced through `warn` every time. */
  tofu?: boolean;
  /** Where Sigstore's TUF repository is cached (default `~/.cache/opk-attest/sigstore-tuf`), and another mirror and root (tests, private deployments). */
  sigstore?: { cacheDir?: string; mirrorUrl?: string; rootPath?: string };
  /** Receives the trust warnings (TOFU, stale cache); default stderr. */
  warn?: (line: string) => void;
  /** The command's overall time budget for key and log fetches. */
  deadline?: Deadline;
}

/**
 * Trust material from options. The log key is, in this order: the pinned PEMs; the pinned
 * trusted root's key for the log URL; for the public-good Rekor, the key in Sigstore's
 * public-good trusted root (TUF, cached); with `tofu`, the key the log serves (with a warning).
 * Anything else is refused: a log's key is never taken from the log silently (docs/trust.md).
 * @throws VerifyError VERIFY_TLOG_KEY_UNPINNED (no key for a log other than the public-good one, no tofu);
 *   TlogError TLOG_KEY_INVALID (a PEM, the trusted root) | TLOG_REQUEST_FAILED (fetching the log's key);
 *   TufError from Sigstore's TUF repository when nothing is cached
 */
export async function simpleTrust(o: SimpleTrustOptions): Promise<TrustMaterial> {
  const warn = o.warn ?? ((line: string) => process.stderr.write(`opk-attest: warning: ${line}\n`));
  const logs = await logKeyring(o, warn);
  return {
    issuers: o.issuers,
    findKey: o.findKey ?? discoveryKeyFinder(o.deadline ? { deadline: o.deadline } : {}),
    logs: logs.keyring,
    commitmentClaims: Object.fromEntries(o.issuers.map((issuer) => [issuer, o.commitmentClaim])),
    sources: [
      {
        input: 'OIDC provider keys',
        source: o.findKeySource ?? `live JWKS of ${o.issuers.join(', ')} (OIDC discovery)`,
      },
      { input: 'log keys', source: logs.source },
    ],
  };
}

async function logKeyring(
  o: SimpleTrustOptions,
  warn: (line: string) => void,
): Promise<{ keyring: LogKeyring; source: string }> {
  const url = o.transparencyLog === false ? false : o.transparencyLog.replace(/\/+$/, '');
  const ids = (keys: readonly LogPublicKey[]) => keys.map((k) => k.logId.slice(0, 16)).join(', ');
  if (o.logKeyPems.length > 0) {
    const keys = o.logKeyPems.map((pem, n) => LogPublicKey.fromPem(pem, `log key #${n + 1}`));
    return { keyring: createLogKeyring(keys), source: `${ids(keys)} pinned by ${o.logKeySource ?? 'the caller'}` };
  }
  if (url === false) return { keyring: createLogKeyring([]), source: 'none (transparency log off)' };
  if (o.trustedRoot) {
    const keys = parseTrustedRootLogs(o.trustedRoot.bytes, o.trustedRoot.source)
      .filter((l) => l.baseUrl === url)
      .map((l) => l.key);
    if (keys.length === 0) throw unpinned(url, `${o.trustedRoot.source} lists no ECDSA P-256 key for it`);
    return { keyring: createLogKeyring(keys), source: `${ids(keys)} from ${o.trustedRoot.source}` };
  }
  if (o.tofu) {
    const key = await new RekorClient({ url, ...(o.deadline ? { deadline: o.deadline } : {}) }).getPublicKey();
    warn(
      `trusting the key ${url} serves (log ID ${key.logId}) on first use: whoever controls that server or the path to it can forge log entries; pin it with --tlog-key FILE (action: tlog-key) or publish it in the trust repository`,
    );
    return { keyring: createLogKeyring([key]), source: `${ids([key])} served by ${url} itself (trust on first use)` };
  }
  if (url === PUBLIC_GOOD_REKOR || o.sigstore?.mirrorUrl) {
    const root = await sigstoreTrustedRoot({
      cacheDir: o.sigstore?.cacheDir ?? defaultSigstoreCache(),
      ...(o.sigstore?.mirrorUrl ? { mirrorUrl: o.sigstore.mirrorUrl } : {}),
      ...(o.sigstore?.rootPath ? { rootPath: o.sigstore.rootPath } : {}),
    });
    if (root.stale) warn(`could not refresh Sigstore's trusted root (${root.stale}); using ${root.source}`);
    const keys = root.logs.filter((l) => l.baseUrl === url).map((l) => l.key);
    if (keys.length === 0) throw unpinned(url, `${root.source} lists no ECDSA P-256 key for it`);
    return { keyring: createLogKeyring(keys), source: `${ids(keys)} from ${root.source}` };
  }
  throw unpinned(url, 'no key is pinned for it');
}

function unpinned(url: string, fault: string): VerifyError {
  return new VerifyError({
    code: 'VERIFY_TLOG_KEY_UNPINNED',
    message: `transparency log ${url}: ${fault}; pin its public key with --tlog-key FILE (action: tlog-key) or in the trust repository ("opk-attest trust tlog add"), or accept the key it serves with --tlog-key-tofu (action: tlog-key-tofu: true)`,
  });
}

/** The default cache of Sigstore's TUF repository: under the user's cache directory. */
export function defaultSigstoreCache(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'opk-attest', 'sigstore-tuf');
}
