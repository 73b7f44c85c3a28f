/**
 * One log entry as the monitor sees it. Entries that are not a hashedrekord carrying a PK-token
 * certificate are not ours; entries whose token claims match no watched identity are skipped
 * unverified (their claims only decide that they are not watched). A watched entry is verified
 * as a verifier would (SET and inclusion, the PK token with the trusted OP keys, its `iat`
 * against the log's vouched time) and then judged against the policy.
 */
import { b64Decode } from '../core/b64.js';
import { OpkError } from '../core/errors.js';
import { issuedAt, parsePkToken, verifyPkToken, type PkToken } from '../identity/index.js';
import type { Policy } from '../policy/index.js';
import {
  parseHashedRekordBody,
  TlogError,
  verifyTlogEntry,
  type LoggedHashedRekord,
  type LogKeyring,
  type TlogEntry,
} from '../tlog/index.js';
import { checkIssuedBeforeLogged, type TrustMaterial } from '../verify/index.js';
import { isWatched, type WatchedIdentity } from './identities.js';
import { judge, type FindingReason } from './judge.js';

/** Who signed, as the report shows it (no other claims: reports may be public). */
export interface SignerFacts {
  issuer: string;
  subject: string;
  repository?: string;
  workflow?: string;
  ref?: string;
}

/** Where in the log. */
export interface EntryFacts {
  logIndex: number;
  uuid: string;
  /** Only when the SET vouches for it (docs/time.md). */
  integratedTime?: number;
  integratedTimeVerified: boolean;
}

/** A signature the policy does not allow. */
export interface Finding extends EntryFacts, SignerFacts {
  reason: FindingReason;
  detail: string;
}

/** A watched entry whose signature does not verify (no verifier accepts it; listed, not reported). */
export interface Unverifiable extends SignerFacts {
  logIndex: number;
  uuid: string;
  code: string;
  message: string;
}

/** What one entry turned out to be. */
export type EntryOutcome =
  | { kind: 'other' }
  | { kind: 'unwatched' }
  | { kind: 'allowed'; signers: string[] }
  | { kind: 'finding'; finding: Finding }
  | { kind: 'unverifiable'; unverifiable: Unverifiable };

/** What the inspection needs. */
export interface InspectContext {
  identities: readonly WatchedIdentity[];
  policy: Policy;
  trust: Pick<TrustMaterial, 'issuers' | 'findKey' | 'commitmentClaims'>;
  logs: LogKeyring;
}

/**
 * Inspects one entry (already checked to be in the log's tree by the caller).
 * @throws only errors that are not about this entry's content (e.g. a programming error)
 */
export async function inspectEntry(entry: TlogEntry, c: InspectContext): Promise<EntryOutcome> {
  const what = `log entry ${entry.logIndex}`;
  let logged: LoggedHashedRekord;
  let token: PkToken;
  try {
    logged = parseHashedRekordBody(b64Decode(entry.body, `${what} body`), `${what} body`);
    token = parsePkToken(logged.certificate.pkTokenJson);
  } catch (err) {
    // Other kinds, other certificates, undecodable tokens: not an opk-attest signature.
    if (err instanceof OpkError) return { kind: 'other' };
    throw err;
  }
  if (!isWatched(c.identities, token.claims)) return { kind: 'unwatched' };
  const signer = signerFacts(token.issuer, token.claims);
  let place: EntryFacts;
  try {
    const v = verifyTlogEntry(
      entry,
      { paeSha256: logged.hash, signatureDer: logged.signatureDer, pkTokenJson: logged.certificate.pkTokenJson },
      c.logs,
    );
    place = {
      logIndex: v.logIndex,
      uuid: v.uuid,
      ...(v.integratedTime !== undefined ? { integratedTime: v.integratedTime } : {}),
      integratedTimeVerified: v.integratedTimeVerified,
    };
    const issuer = token.issuer;
    const verified = await verifyPkToken(token, {
      allowedIssuers: c.trust.issuers,
      findKey: c.trust.findKey,
      expiry: { kind: 'never' },
      ...(c.trust.commitmentClaims && Object.hasOwn(c.trust.commitmentClaims, issuer)
        ? { commitmentClaim: c.trust.commitmentClaims[issuer] }
        : {}),
    });
    checkIssuedBeforeLogged(issuedAt(verified.token), v, what);
    const j = judge(c.policy, verified.issuer, verified.claims);
    if (j.allowed) return { kind: 'allowed', signers: j.signers };
    return {
      kind: 'finding',
      finding: { ...place, ...signerFacts(verified.issuer, verified.claims), reason: j.reason, detail: j.detail },
    };
  } catch (err) {
    if (!(err instanceof OpkError) || (err instanceof TlogError && err.code === 'TLOG_LOG_UNKNOWN')) throw err;
    return {
      kind: 'unverifiable',
      unverifiable: { logIndex: entry.logIndex, uuid: entry.uuid, ...signer, code: err.code, message: err.message },
    };
  }
}

function signerFacts(issuer: string, claims: Readonly<Record<string, unknown>>): SignerFacts {
  const s = (k: string) => (typeof claims[k] === 'string' ? (claims[k] as string) : undefined);
  const workflow = s('job_workflow_ref') ?? s('workflow_ref');
  return {
    issuer,
    subject: s('sub') ?? '',
    ...(s('repository') !== undefined ? { repository: s('repository')! } : {}),
    ...(workflow !== undefined ? { workflow } : {}),
    ...(s('ref') !== undefined ? { ref: s('ref')! } : {}),
  };
}
