import { createHash } from 'node:crypto';
import { createCic } from '../../src/identity/cic.js';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { createGqToken } from '../../src/identity/gq256.js';
import { buildPkToken, parsePkToken, roleOf, type PkToken } from '../../src/identity/pk-token.js';
import { expectCode, loadVectors } from '../helpers.js';
import { createTestOp } from './test-op.js';

const V = loadVectors();
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

describe('buildPkToken', () => {
  const op = createTestOp();
  const key = EphemeralKey.generate();
  const cic = createCic(key.publicJwk, { att: 'cd'.repeat(32) });
  let gq: string;
  let pkt: PkToken;
  beforeAll(async () => {
    gq = createGqToken(await op.mint({ aud: cic.commitment }), op.jwk);
    pkt = buildPkToken(gq, cic, key);
  });

  it('keeps the OP token verbatim', () => expect(pkt.token('op')).toBe(gq));

  it('signs b64url(CIC JSON).payload with the ephemeral key (raw r‖s)', () => {
    const [h, p, s] = pkt.token('cic').split('.');
    expect(Buffer.from(h!, 'base64url').toString()).toBe(cic.json);
    expect(p).toBe(gq.split('.')[1]);
    expect(Buffer.from(s!, 'base64url')).toHaveLength(64);
  });

  it('serialises exactly as Go: {"payload":…,"signatures":[OP,CIC]} without whitespace', () => {
    const [opH, payload, opS] = gq.split('.');
    expect(pkt.jsonBytes().toString()).toBe(
      `{"payload":"${payload}","signatures":[{"protected":"${opH}","signature":"${opS}"},` +
        `{"protected":"${pkt.cic.protected}","signature":"${pkt.cic.signature}"}]}`,
    );
    expect(JSON.stringify(pkt)).toBe(pkt.jsonBytes().toString());
  });

  it('hashes as base64url(SHA3-256(JSON))', () => {
    expect(pkt.hash()).toBe(createHash('sha3-256').update(pkt.jsonBytes()).digest('base64url'));
  });

  describe('when parsed back from JSON', () => {
    it('re-serialises to identical bytes and the same hash', () => {
      const again = parsePkToken(pkt.jsonBytes());
      expect(again.jsonBytes().equals(pkt.jsonBytes())).toBe(true);
      expect(again.hash()).toBe(pkt.hash());
      expect(again.raw?.equals(pkt.jsonBytes())).toBe(true);
    });
  });

  describe('when converted to compact and back', () => {
    it('gives payload:opH:opS:cicH:cicS and the same JSON', () => {
      const compact = pkt.compact();
      expect(compact).toBe(
        [pkt.payload, pkt.op.protected, pkt.op.signature, pkt.cic.protected, pkt.cic.signature].join(':'),
      );
      expect(parsePkToken(compact).jsonBytes().equals(pkt.jsonBytes())).toBe(true);
    });
  });

  describe('when the CIC was made for another key', () => {
    it('throws PKT_CIC_INVALID', () =>
      expectCode(() => buildPkToken(gq, createCic(EphemeralKey.generate().publicJwk), key), 'PKT_CIC_INVALID'));
  });

  describe('when the OP token has a CIC typ', () => {
    it('throws PKT_ROLE_INVALID', () => {
      const [, p, s] = gq.split('.');
      return expectCode(
        () => buildPkToken(`${b64('{"alg":"GQ256","typ":"CIC"}')}.${p}.${s}`, cic, key),
        'PKT_ROLE_INVALID',
      );
    });
  });
});

describe('parsePkToken', () => {
  const g = V.google_gq_legacy;

  describe('with the Go-made compact token', () => {
    const pkt = parsePkToken(g.compact);
    it('finds the GQ OP signature and the CIC', () => {
      expect(pkt.op.header.alg).toBe('GQ256');
      expect(pkt.cic.header).toMatchObject({ typ: 'CIC', extra: 'yes' });
      expect(pkt.issuer).toBe('https://accounts.google.com');
      expect(pkt.cos).toBeUndefined();
    });
    it('emits the same compact form', () => expect(pkt.compact()).toBe(g.compact));
    it('round-trips through JSON with a stable hash', () => {
      const viaJson = parsePkToken(pkt.jsonBytes());
      expect(viaJson.compact()).toBe(g.compact);
      expect(viaJson.hash()).toBe(pkt.hash());
    });
  });

  describe('with a refreshed ID token after "."', () => {
    it('keeps it verbatim, out of the JSON form and the hash', () => {
      const pkt = parsePkToken(`${g.compact}.${g.refreshed_id_token}`);
      expect(pkt.freshIdToken).toBe(g.refreshed_id_token);
      expect(pkt.compact()).toBe(`${g.compact}.${g.refreshed_id_token}`);
      expect(pkt.hash()).toBe(parsePkToken(g.compact).hash());
    });
    it('refuses one that is not three segments with PKT_MALFORMED', () =>
      expectCode(() => parsePkToken(`${g.compact}.abc.def`), 'PKT_MALFORMED'));
  });

  describe('when the signatures arrive CIC first', () => {
    it('classifies them by typ and serialises OP first, as Go does', () => {
      const pkt = parsePkToken(g.compact);
      const reordered =
        `{"payload":"${pkt.payload}","signatures":[{"protected":"${pkt.cic.protected}","signature":"${pkt.cic.signature}"},` +
        `{"protected":"${pkt.op.protected}","signature":"${pkt.op.signature}"}]}`;
      const parsed = parsePkToken(reordered);
      expect(parsed.jsonBytes().equals(pkt.jsonBytes())).toBe(true);
      expect(parsed.raw?.toString()).toBe(reordered);
    });
  });

  describe('when a COS signature is present', () => {
    it('keeps it third', () => {
      const pkt = parsePkToken(g.compact);
      const cosH = b64('{"alg":"ES256","typ":"COS"}');
      const parsed = parsePkToken(`${g.compact}:${cosH}:${pkt.cic.signature}`);
      expect(parsed.cos?.protected).toBe(cosH);
      expect(parsed.signatures()).toHaveLength(3);
      expect(parsed.token('cos')).toBe(`${cosH}.${pkt.payload}.${pkt.cic.signature}`);
    });
  });
});

describe('roleOf', () => {
  it.each([
    [undefined, 'op'],
    ['JWT', 'op'],
    ['at+jwt', 'op'],
    ['AT+JWT', 'op'],
    ['dpop+id_token', 'op'],
    ['CIC', 'cic'],
    ['COS', 'cos'],
  ])('maps typ %s to %s', (typ, role) => expect(roleOf(typ)).toBe(role));
  it.each(['jwt', 'cic', 'osm', ''])('refuses typ %j with PKT_ROLE_INVALID', (typ) =>
    expectCode(() => roleOf(typ), 'PKT_ROLE_INVALID'),
  );
});
