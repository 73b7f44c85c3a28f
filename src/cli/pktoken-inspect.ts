/**
 * `opk-attest pktoken inspect`: shows what a PK token contains (claims, CIC with its extra claims,
 * user key, OP headers, hash) without verifying anything. A refreshed ID token carried after the
 * compact form is reported, never printed: it is a bearer token.
 */
import { CIC_RESERVED_CLAIMS, keyidOfJwk, parsePkToken, type JsonObject, type PkToken } from '../identity/index.js';
import { required, runCommand } from './args.js';
import { readTokenFile } from './pktoken-read.js';
import { claimText, fields, opHeaders } from './pktoken-show.js';
import { safeJson, safeText } from './terminal-text.js';

const USAGE = `usage: opk-attest pktoken inspect --token FILE [--json]

Shows a PK token (JSON or compact form): its claims, the CIC and its extra claims (att, atts),
the user key, the OP signature's header (for GQ256 also the original header decoded from kid,
and jkt) and the token hash. Nothing is verified: use "opk-attest pktoken verify" for that.

options:
  --token FILE   the PK token; - reads stdin
  --json         print one JSON object instead of text
`;

const SPEC = {
  name: 'pktoken inspect',
  usage: USAGE,
  options: { token: { type: 'string' }, json: { type: 'boolean' } },
} as const;

const NOT_VERIFIED = 'not verified: inspect only decodes the token; run "opk-attest pktoken verify" to check it';

/**
 * Runs `pktoken inspect`.
 * @param argv - the arguments after `inspect`
 * @returns 0 when the token was shown, 2 for a usage error
 * @throws PkTokenError PKT_* when the token does not parse (the dispatcher prints it, exit 1)
 */
export function inspectPkTokenCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values }) => {
    const raw = await readTokenFile(required(values.token, '--token FILE'));
    const report = describe(parsePkToken(raw), raw[0] === 0x7b /* { */ ? 'json' : 'compact');
    process.stdout.write(values.json ? `${safeJson(report)}\n` : text(report));
    return 0;
  });
}

/** Everything inspect shows; also its `--json` output. */
interface Inspection {
  verified: false;
  note: string;
  hash: string;
  form: 'json' | 'compact';
  issuer: string;
  subject: unknown;
  claims: JsonObject;
  op: { alg: string; header: JsonObject; originalHeader?: JsonObject; kid?: string; jkt?: string };
  cic: { header: JsonObject; extraClaims: JsonObject };
  upk: unknown;
  /** Hex SHA-256 of the upk's SPKI DER (the DSSE keyid), for a P-256 upk. */
  upkKeyid?: string;
  cos: JsonObject | null;
  refreshedIdToken: 'absent' | 'present (not shown: it is a bearer token)';
}

function describe(pkt: PkToken, form: 'json' | 'compact'): Inspection {
  const op = opHeaders(pkt);
  const cic = pkt.cic.header;
  return {
    verified: false,
    note: NOT_VERIFIED,
    hash: pkt.hash(),
    form,
    issuer: pkt.issuer,
    subject: pkt.claims.sub,
    claims: pkt.claims,
    op: { alg: op.alg, header: op.header, originalHeader: op.original, kid: op.kid, jkt: op.jkt },
    cic: {
      header: cic,
      extraClaims: Object.fromEntries(Object.entries(cic).filter(([name]) => !CIC_RESERVED_CLAIMS.includes(name))),
    },
    upk: cic.upk,
    upkKeyid: p256Keyid(cic.upk),
    cos: pkt.cos?.header ?? null,
    refreshedIdToken: pkt.freshIdToken === undefined ? 'absent' : 'present (not shown: it is a bearer token)',
  };
}

function p256Keyid(upk: unknown): string | undefined {
  const jwk = upk as { kty?: unknown; crv?: unknown; x?: unknown; y?: unknown } | null;
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string')
    return undefined;
  try {
    return keyidOfJwk({ x: jwk.x, y: jwk.y });
  } catch {
    // inspect shows unverified tokens: a upk that is not a curve point simply has no keyid
    return undefined;
  }
}

function text(r: Inspection): string {
  const cicRows = Object.entries(r.cic.header)
    .filter(([name]) => name !== 'upk')
    .map(([name, value]) => [name, safeText(value)] as const);
  return [
    `PK token (${r.note})\n`,
    fields([
      ['hash', `${r.hash} (the OSM kid)`],
      ['form', r.form],
      ['issuer', safeText(r.issuer)],
      ['subject', safeText(r.subject)],
    ]),
    '\nclaims:\n',
    fields(
      Object.entries(r.claims).map(([name, value]) => [name, claimText(name, value)] as const),
      '  ',
    ),
    '\nOP signature:\n',
    fields(
      [
        ['alg', safeText(r.op.alg)],
        ['header', safeJson(r.op.header)],
        ...(r.op.originalHeader
          ? [['original header (decoded from kid)', safeJson(r.op.originalHeader)] as const]
          : []),
        ['OP key id', r.op.kid === undefined ? '(none)' : safeText(r.op.kid)],
        ...(r.op.jkt !== undefined ? [['jkt', safeText(r.op.jkt)] as const] : []),
      ],
      '  ',
    ),
    '\nCIC (client instance claims; extra claims such as att/atts are listed here too):\n',
    fields(cicRows, '  '),
    '\nuser key (upk):\n',
    fields([['jwk', safeJson(r.upk)], ...(r.upkKeyid ? [['keyid (DSSE)', r.upkKeyid] as const] : [])], '  '),
    '\n',
    fields([
      ['cosigner', r.cos ? safeJson(r.cos) : 'none'],
      ['refreshed ID token', r.refreshedIdToken],
    ]),
  ].join('');
}
