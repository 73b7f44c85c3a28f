/**
 * The PK token (openpubkey `pktoken/pktoken.go`, `compact.go`): one JWS payload (the OP's ID
 * token payload) with an OP signature (GQ256 or RS256), a CIC signature by the user key and
 * at most one cosigner (COS) signature. Every segment is kept verbatim; the JSON form is the
 * RFC 7515 general serialisation Go emits, byte for byte, and the hash is taken over it.
 */
import { b64urlEncode } from '../core/b64.js';
import { sha3_256 } from '../core/digest.js';
import { MAX_PK_TOKEN_BYTES } from '../core/limits.js';
import type { Cic } from './cic.js';
import type { EphemeralKey } from './ephemeral-key.js';
import { PkTokenError } from './errors.js';
import { isJsonObject, type JsonObject } from '../core/guards.js';
import { quote } from '../core/quote.js';
import { checkProtectedHeader, decodeB64url, decodeJsonSegment, parseJsonObject, splitCompactJws } from './jws.js';

/** The three kinds of signature a PK token carries, told apart by the protected `typ`. */
export type SignatureRole = 'op' | 'cic' | 'cos';

/** One signature of the PK token, verbatim. */
export interface PkTokenSignature {
  /** base64url of the protected header, as received or signed. */
  readonly protected: string;
  /** base64url of the signature. */
  readonly signature: string;
  /** The decoded protected header. */
  readonly header: JsonObject;
}

const BUILD: unique symbol = Symbol('PkToken.create');

interface Parts {
  payload: string;
  claims: JsonObject;
  op: PkTokenSignature;
  cic: PkTokenSignature;
  cos: PkTokenSignature | undefined;
  freshIdToken: string | undefined;
  raw: Buffer | undefined;
}

/** A parsed or freshly built PK token. Immutable; verify it with `verifyPkToken`. */
export class PkToken {
  /** base64url of the payload (the OP's payload segment, verbatim). */
  readonly payload: string;
  /** The decoded payload claims (`iss` is a string). */
  readonly claims: Readonly<JsonObject>;
  /** The OP's signature (GQ256 or RS256). */
  readonly op: PkTokenSignature;
  /** The client instance signature by the user key. */
  readonly cic: PkTokenSignature;
  /** The cosigner's signature, if any. */
  readonly cos: PkTokenSignature | undefined;
  /** A refreshed ID token carried after the compact form (user flows only), verbatim. */
  readonly freshIdToken: string | undefined;
  /** The bytes this token was parsed from, when it was parsed. */
  readonly raw: Buffer | undefined;

  private constructor(p: Parts) {
    this.payload = p.payload;
    this.claims = p.claims;
    this.op = p.op;
    this.cic = p.cic;
    this.cos = p.cos;
    this.freshIdToken = p.freshIdToken;
    this.raw = p.raw;
    Object.freeze(this);
  }

  /** @internal Only this module holds `BUILD`, so only its parsers and builder make tokens. */
  static create(key: typeof BUILD, p: Parts): PkToken {
    if (key !== BUILD) throw new TypeError('PkToken is made by parsePkToken or buildPkToken');
    return new PkToken(p);
  }

  /** The ID token issuer (`iss`). */
  get issuer(): string {
    return this.claims.iss as string;
  }

  /**
   * The compact JWS `protected.payload.signature` of one signature.
   * @throws PkTokenError PKT_ROLE_INVALID when asking for a COS signature the token lacks
   */
  token(role: SignatureRole): string {
    const sig = this[role];
    if (!sig)
      throw new PkTokenError({ code: 'PKT_ROLE_INVALID', message: `PK token has no ${role.toUpperCase()} signature` });
    return `${sig.protected}.${this.payload}.${sig.signature}`;
  }

  /** The signatures in Go's marshalling order: OP, CIC, COS. */
  signatures(): PkTokenSignature[] {
    return this.cos ? [this.op, this.cic, this.cos] : [this.op, this.cic];
  }

  /** The JSON object form (what `JSON.stringify` emits: exactly `jsonBytes()`). */
  toJSON(): { payload: string; signatures: { protected: string; signature: string }[] } {
    return {
      payload: this.payload,
      signatures: this.signatures().map((s) => ({ protected: s.protected, signature: s.signature })),
    };
  }

  /** The JSON serialisation of openpubkey `PKToken.MarshalJSON`: no whitespace, OP, CIC, COS. */
  jsonBytes(): Buffer {
    return Buffer.from(serialise(this.payload, this.signatures()), 'utf8');
  }

  /** The compact form `payload:opH:opS:cicH:cicS[:cosH:cosS][.freshIdToken]`. */
  compact(): string {
    const parts = [this.payload, ...this.signatures().flatMap((s) => [s.protected, s.signature])].join(':');
    return this.freshIdToken === undefined ? parts : `${parts}.${this.freshIdToken}`;
  }

  /** openpubkey `PKToken.Hash()`: base64url(SHA3-256(jsonBytes())), the OSM `kid`. */
  hash(): string {
    return b64urlEncode(sha3_256(this.jsonBytes()));
  }
}

function serialise(payload: string, sigs: readonly { protected: string; signature: string }[]): string {
  // Every value is base64url, so plain concatenation is Go's json.Marshal output.
  const s = sigs.map((x) => `{"protected":"${x.protected}","signature":"${x.signature}"}`).join(',');
  return `{"payload":"${payload}","signatures":[${s}]}`;
}

/**
 * The role of a signature from its protected `typ`, as openpubkey classifies it: absent, "JWT",
 * "at+jwt" (any case) or "dpop+id_token" → OP; "CIC" → CIC; "COS" → COS.
 * @throws PkTokenError PKT_ROLE_INVALID for any other typ
 */
export function roleOf(typ: string | undefined): SignatureRole {
  if (typ === undefined || typ === 'JWT' || typ === 'dpop+id_token' || typ.toLowerCase() === 'at+jwt') return 'op';
  if (typ === 'CIC') return 'cic';
  if (typ === 'COS') return 'cos';
  throw new PkTokenError({
    code: 'PKT_ROLE_INVALID',
    message: `PK token signature has unrecognised typ ${quote(typ)}; expected JWT, CIC or COS`,
  });
}

/**
 * Builds a PK token from the OP's compact token and a CIC: signs `b64url(CIC JSON) + "." +
 * payload` with the ephemeral key (ES256, raw r‖s).
 * @param opToken - the compact GQ256 (or RS256) token whose payload commits to `cic`
 * @param cic - the CIC made for `key` (see `createCic`)
 * @param key - the run's ephemeral key
 * @returns the PK token
 * @throws PkTokenError PKT_MALFORMED | PKT_BASE64_INVALID | PKT_TOO_LARGE | PKT_ROLE_INVALID
 *   | PKT_ALG_INVALID | PKT_CIC_INVALID | PKT_CLAIM_INVALID
 */
export function buildPkToken(opToken: string, cic: Cic, key: EphemeralKey): PkToken {
  const jws = splitCompactJws(opToken, 'OP token');
  const op = signatureOf(jws.protected, jws.signature, 'OP token');
  if (roleOf(op.header.typ as string | undefined) !== 'op') {
    throw new PkTokenError({
      code: 'PKT_ROLE_INVALID',
      message: `OP token typ ${quote(op.header.typ)} is not an ID token typ`,
    });
  }
  if (cic.header.alg !== key.publicJwk.alg) {
    throw new PkTokenError({
      code: 'PKT_ALG_INVALID',
      message: `CIC alg ${quote(cic.header.alg)} is not the ephemeral key's ${key.publicJwk.alg}`,
    });
  }
  const upk = cic.header.upk;
  if (!isJsonObject(upk) || upk.x !== key.publicJwk.x || upk.y !== key.publicJwk.y) {
    throw new PkTokenError({
      code: 'PKT_CIC_INVALID',
      message: 'CIC upk is not the ephemeral key signing it; build the CIC from key.publicJwk',
    });
  }
  const cicProtected = b64urlEncode(cic.json);
  const cicSignature = b64urlEncode(key.signJose(Buffer.from(`${cicProtected}.${jws.payload}`, 'latin1')));
  return PkToken.create(BUILD, {
    payload: jws.payload,
    claims: payloadClaims(jws.payload),
    op,
    cic: { protected: cicProtected, signature: cicSignature, header: cic.header },
    cos: undefined,
    freshIdToken: undefined,
    raw: undefined,
  });
}

/**
 * Parses a PK token in JSON (§1.1) or compact (§1.2) form, strictly: at most
 * MAX_PK_TOKEN_BYTES, canonical base64url everywhere, JSON exactly as Go marshals it (signatures
 * in any order), exactly one OP and one CIC signature and at most one COS, every protected header
 * a JSON object with a string `alg`, the payload a JSON object with a string `iss`.
 * Signatures are not checked here: call `verifyPkToken`.
 * @param input - the token bytes or text
 * @returns the token, with `raw` holding the input bytes
 * @throws PkTokenError PKT_TOO_LARGE | PKT_MALFORMED | PKT_BASE64_INVALID | PKT_ROLE_INVALID
 *   | PKT_ALG_INVALID | PKT_CLAIM_INVALID
 */
export function parsePkToken(input: Uint8Array | string): PkToken {
  const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  if (raw.length > MAX_PK_TOKEN_BYTES) {
    throw new PkTokenError({
      code: 'PKT_TOO_LARGE',
      message: `PK token is ${raw.length} bytes, over the ${MAX_PK_TOKEN_BYTES}-byte limit`,
    });
  }
  if (raw.length === 0) throw new PkTokenError({ code: 'PKT_MALFORMED', message: 'PK token is empty' });
  return raw[0] === 0x7b /* { */ ? parseJson(raw) : parseCompact(raw);
}

function parseJson(raw: Buffer): PkToken {
  const obj = parseJsonObject(raw, 'PK token JSON');
  const { payload, signatures } = obj;
  if (Object.keys(obj).length !== 2 || typeof payload !== 'string' || !Array.isArray(signatures)) {
    throw malformed('PK token JSON must have exactly "payload" (string) and "signatures" (array)');
  }
  const sigs = signatures.map((s, i) => {
    if (
      !isJsonObject(s) ||
      Object.keys(s).length !== 2 ||
      typeof s.protected !== 'string' ||
      typeof s.signature !== 'string'
    ) {
      throw malformed(`PK token signature ${i} must have exactly "protected" and "signature" strings`);
    }
    return { protected: s.protected, signature: s.signature };
  });
  const token = assemble(payload, sigs, undefined, raw);
  // Accept only the bytes Go would produce (in the sender's signature order): no whitespace,
  // escapes, duplicate or reordered members that could make two encodings of one token.
  if (!raw.equals(Buffer.from(serialise(payload, sigs), 'utf8'))) {
    throw malformed(
      'PK token JSON is not in canonical form (no whitespace, members "payload","signatures" and "protected","signature" in that order)',
    );
  }
  return token;
}

function parseCompact(raw: Buffer): PkToken {
  const text = raw.toString('latin1');
  const dot = text.indexOf('.');
  const tokens = dot === -1 ? text : text.slice(0, dot);
  const fresh = dot === -1 ? undefined : text.slice(dot + 1);
  const parts = tokens.split(':');
  if (parts.length < 3 || parts.length % 2 !== 1) {
    throw malformed(
      `compact PK token has ${parts.length} ":"-separated parts; expected payload then header:signature pairs`,
    );
  }
  if (fresh !== undefined) splitCompactJws(fresh, 'refreshed ID token');
  const sigs = [];
  for (let i = 1; i < parts.length; i += 2) sigs.push({ protected: parts[i]!, signature: parts[i + 1]! });
  return assemble(parts[0]!, sigs, fresh, raw);
}

function assemble(
  payload: string,
  sigs: { protected: string; signature: string }[],
  freshIdToken: string | undefined,
  raw: Buffer,
): PkToken {
  if (sigs.length < 2 || sigs.length > 3) {
    throw new PkTokenError({
      code: 'PKT_ROLE_INVALID',
      message: `PK token has ${sigs.length} signatures; expected OP and CIC, and at most one COS`,
    });
  }
  const claims = payloadClaims(payload);
  const byRole: Partial<Record<SignatureRole, PkTokenSignature>> = {};
  for (const [i, s] of sigs.entries()) {
    const sig = signatureOf(s.protected, s.signature, `PK token signature ${i}`);
    const role = roleOf(sig.header.typ as string | undefined);
    if (byRole[role]) {
      throw new PkTokenError({
        code: 'PKT_ROLE_INVALID',
        message: `PK token has more than one ${role.toUpperCase()} signature; a hidden duplicate is refused`,
      });
    }
    byRole[role] = sig;
  }
  if (!byRole.op || !byRole.cic) {
    throw new PkTokenError({
      code: 'PKT_ROLE_INVALID',
      message: `PK token lacks its ${byRole.op ? 'CIC' : 'OP'} signature`,
    });
  }
  return PkToken.create(BUILD, { payload, claims, op: byRole.op, cic: byRole.cic, cos: byRole.cos, freshIdToken, raw });
}

function signatureOf(protectedSeg: string, signature: string, what: string): PkTokenSignature {
  if (protectedSeg === '' || signature === '') throw malformed(`${what} has an empty header or signature`);
  const header = decodeJsonSegment(protectedSeg, `${what} header`);
  checkProtectedHeader(header, what);
  decodeB64url(signature, `${what} signature`);
  return { protected: protectedSeg, signature, header };
}

function payloadClaims(payload: string): JsonObject {
  if (payload === '') throw malformed('PK token payload is empty');
  const claims = decodeJsonSegment(payload, 'PK token payload');
  if (typeof claims.iss !== 'string' || claims.iss === '') {
    throw new PkTokenError({
      code: 'PKT_CLAIM_INVALID',
      message: 'PK token payload has no string "iss"; it is not an ID token',
    });
  }
  return claims;
}

function malformed(message: string): PkTokenError {
  return new PkTokenError({ code: 'PKT_MALFORMED', message });
}
