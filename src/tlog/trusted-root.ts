/**
 * Transparency-log keys from a Sigstore `trusted_root.json` (the `TrustedRoot` message of
 * sigstore/protobuf-specs, as the public-good TUF repository ships it and cosign's
 * `--trusted-root` reads it): each `tlogs[]` entry names a log by `baseUrl` and carries its public
 * key as base64 DER SubjectPublicKeyInfo. Only the logs this verifier can check are returned
 * (ECDSA P-256, Rekor v1); keys of other types are skipped, not guessed at (see docs/trust.md).
 */
import { isRecord } from '../core/guards.js';
import { TlogError } from './errors.js';
import { LogPublicKey } from './keys.js';

/** Largest trusted_root.json read (the public-good one is about 7 KiB). */
export const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;
const MAX_TLOGS = 64;
const P256 = 'PKIX_ECDSA_P256_SHA_256';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One log of a trusted root that this verifier can check. */
export interface TrustedRootLog {
  /** The log's URL without a trailing slash. */
  baseUrl: string;
  key: LogPublicKey;
}

/**
 * Reads the ECDSA P-256 logs of a Sigstore trusted root.
 * @param bytes - the file as read
 * @param what - names the file in messages
 * @throws TlogError TLOG_KEY_INVALID (not a trusted root, a bad key, a key whose logId is not its own)
 */
export function parseTrustedRootLogs(bytes: Uint8Array, what = 'trusted_root.json'): TrustedRootLog[] {
  const bad = (fault: string, cause?: unknown) =>
    new TlogError({
      code: 'TLOG_KEY_INVALID',
      ...(cause === undefined ? {} : { cause }),
      message: `${what}: ${fault}; give a Sigstore trusted_root.json (as "cosign trusted-root create" writes it)`,
    });
  if (bytes.length > MAX_TRUSTED_ROOT_BYTES) throw bad(`larger than ${MAX_TRUSTED_ROOT_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw bad('not UTF-8 JSON', err);
  }
  if (!isRecord(doc) || !Array.isArray(doc.tlogs) || doc.tlogs.length > MAX_TLOGS)
    throw bad(`no "tlogs" array of at most ${MAX_TLOGS} logs`);
  const out: TrustedRootLog[] = [];
  for (const [i, t] of doc.tlogs.entries()) {
    const at = `tlogs[${i}]`;
    if (!isRecord(t) || typeof t.baseUrl !== 'string' || !isRecord(t.publicKey))
      throw bad(`${at} has no baseUrl and publicKey`);
    const { rawBytes, keyDetails } = t.publicKey;
    if (keyDetails !== P256) continue; // Ed25519 (Rekor v2) and other logs: not checkable here
    if (typeof rawBytes !== 'string' || !BASE64.test(rawBytes) || rawBytes.length % 4 !== 0)
      throw bad(`${at}.publicKey.rawBytes is not standard base64`);
    const key = LogPublicKey.fromDer(Buffer.from(rawBytes, 'base64'), `${what} ${at} (${t.baseUrl.slice(0, 100)})`);
    const id = isRecord(t.logId) ? t.logId.keyId : undefined;
    if (id !== undefined && (typeof id !== 'string' || Buffer.from(id, 'base64').toString('hex') !== key.logId))
      throw bad(`${at}.logId.keyId is not the SHA-256 of its public key`);
    out.push({ baseUrl: t.baseUrl.replace(/\/+$/, ''), key });
  }
  return out;
}
