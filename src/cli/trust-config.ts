/**
 * The saved trust configuration as the commands use it: the environment's config home, the
 * trust flags as settings, the settings in force for `verify` (announced on stderr whenever a
 * file supplies them), and the local checks `trust use` runs before saving (see docs/consumer.md).
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  describeTrustSource,
  resolveTrustConfig,
  TRUST_KEYS,
  type ResolvedTrust,
  type TrustSettings,
} from '../consumer/index.js';
import type { Deadline } from '../core/deadline.js';
import { parsePolicy, type Policy } from '../policy/index.js';
import { LogPublicKey, parseTrustedRootLogs } from '../tlog/index.js';
import type { TrustMaterial } from '../verify/index.js';
import { integer, keyValues, oneOf, UsageError } from './args.js';
import { readJwksFile } from './pktoken-read.js';
import { printable } from './terminal-text.js';
import { trustFromFlags } from './trust-options.js';

/**
 * `$XDG_CONFIG_HOME`, else `~/.config` (a relative XDG_CONFIG_HOME is ignored, as the XDG spec says).
 * @throws never
 */
export function configHome(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config');
}

/**
 * The trust settings among parsed flag values.
 * @throws never
 */
export function trustSettingsOf(values: Readonly<Record<string, unknown>>): TrustSettings {
  const out: Record<string, unknown> = {};
  for (const k of TRUST_KEYS) if (values[k] !== undefined) out[k] = values[k];
  return out as TrustSettings;
}

/**
 * What applies for this command line: saved settings with its flags on top.
 * @throws ConsumerError CONFIG_INVALID | CONFIG_UNREADABLE
 */
export function resolveFromFlags(values: Readonly<Record<string, unknown>>): Promise<ResolvedTrust> {
  return resolveTrustConfig({ cwd: process.cwd(), configHome: configHome(), flags: trustSettingsOf(values) });
}

/**
 * The flag values a verifying command runs with: its own flags, plus the saved trust settings
 * they do not override. Says on stderr which file supplied trust, every time one did.
 * @param command - prefixes the stderr line (`opk-attest verify`)
 * @throws ConsumerError CONFIG_INVALID | CONFIG_UNREADABLE
 */
export async function withSavedTrust<V extends Record<string, unknown>>(
  command: string,
  values: V,
): Promise<V & TrustSettings> {
  const resolved = await resolveFromFlags(values);
  const fromFile = Object.values(resolved.origins).some((o) => o !== 'flag');
  if (fromFile && resolved.file) {
    process.stderr.write(
      `${command}: trust from ${resolved.file.scope} file ${printable(resolved.file.path)}: ${printable(describeTrustSource(resolved.settings))}\n`,
    );
  }
  const out: Record<string, unknown> = { ...values };
  for (const k of TRUST_KEYS) delete out[k];
  return { ...out, ...resolved.settings } as V & TrustSettings;
}

/** What a verifying command runs with: its flag values (saved trust merged in), the trust and the policy. */
export interface VerifyingTrust<V> {
  values: V & TrustSettings;
  trust: TrustMaterial;
  policy: Policy;
}

/**
 * The trust every verifying command (`verify`, the `docker opk` wrappers) applies: the saved
 * configuration under the trust flags given (`withSavedTrust`), loaded; warns on stderr when the
 * result lets any identity of the issuers sign (no policy, TUF repository or signer claim).
 * @param command - prefixes the stderr lines (`opk-attest verify`, `docker opk`)
 * @param deadline - bounds the key, log and TUF fetches
 * @throws ConsumerError CONFIG_INVALID | CONFIG_UNREADABLE; UsageError and the trust sources' errors
 */
export async function verifyingTrust<V extends Record<string, unknown>>(
  command: string,
  values: V,
  deadline?: Deadline,
): Promise<VerifyingTrust<V>> {
  const v = await withSavedTrust(command, values);
  const { trust, policy } = await trustFromFlags(v, deadline);
  if (!v.policy && !v['tuf-repository'] && !v['signer-claim']?.length) {
    process.stderr.write(
      `${command}: warning: any identity of ${printable(trust.issuers.join(', '))} is accepted as a signer; pin yours with --signer-claim repository=OWNER/REPO, --policy FILE or "opk-attest trust use"\n`,
    );
  }
  return { values: v, trust, policy };
}

/**
 * Checks settings before they are saved: a TUF repository is loaded (its root must verify);
 * otherwise every file is read and parsed and every value checked, without network.
 * @throws UsageError CLI_USAGE; PolicyError, TlogError, TufError, PktokenError of what they read
 */
export async function checkTrustSettings(s: TrustSettings): Promise<void> {
  if (s['tuf-repository'] !== undefined || s['tuf-root'] !== undefined) {
    await trustFromFlags(s);
    return;
  }
  if (s['commitment-claim'] !== undefined) oneOf(s['commitment-claim'], '--commitment-claim', ['aud', 'nonce']);
  if (s.threshold !== undefined) integer(s.threshold, '--threshold', 1);
  keyValues(s['signer-claim'], '--signer-claim');
  const log = s['transparency-log'];
  if (log !== undefined && log !== 'false' && !/^https?:\/\/[^\s]+$/.test(log)) {
    throw new UsageError('--transparency-log must be an http(s) URL or "false"');
  }
  for (const issuer of s.issuer ?? []) {
    if (!/^https?:\/\/[^\s]+$/.test(issuer)) throw new UsageError('--issuer must be an https URL');
  }
  if (s.policy !== undefined) parsePolicy(await readFile(s.policy), s.policy);
  if (s.jwks !== undefined) await readJwksFile(s.jwks);
  for (const f of s['tlog-key'] ?? []) LogPublicKey.fromPem(await readFile(f, 'utf8'), f);
  if (s['trusted-root'] !== undefined) parseTrustedRootLogs(await readFile(s['trusted-root']), s['trusted-root']);
}
