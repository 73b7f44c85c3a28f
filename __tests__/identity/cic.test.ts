import { createCic, cicCommitment, parseCicHeader } from '../../src/identity/cic.js';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import type { JsonObject } from '../../src/core/guards.js';
import { expectCode, loadVectors } from '../helpers.js';

const V = loadVectors();

describe('cicCommitment', () => {
  const committed: { name: string; cic: JsonObject; expected_commitment: string }[] = V.cic_headers.filter(
    (c: { expected_commitment: string | null }) => c.expected_commitment !== null,
  );
  describe.each(committed.map((c) => [c.name, c] as const))('for the %s example of docs/pktoken.md', (_name, c) => {
    it('reproduces the commitment', () => {
      expect(cicCommitment(c.cic)).toBe(c.expected_commitment);
    });
  });

  describe('when a header member order differs', () => {
    it('gives the same commitment (it hashes the canonical form)', () => {
      const c = V.cic_headers[0].cic;
      const reordered: JsonObject = Object.fromEntries(Object.entries(c as JsonObject).reverse());
      expect(cicCommitment(reordered)).toBe(V.cic_headers[0].expected_commitment);
    });
  });
});

describe('createCic', () => {
  const key = EphemeralKey.generate();

  describe('when given an ES256 key and extra claims', () => {
    const cic = createCic(key.publicJwk, { att: 'ab'.repeat(32) });
    it('builds {alg, att, rz, typ, upk} with 32 random bytes of lowercase hex', () => {
      expect(Object.keys(cic.header).sort()).toEqual(['alg', 'att', 'rz', 'typ', 'upk']);
      expect(cic.header).toMatchObject({ typ: 'CIC', alg: 'ES256', upk: { ...key.publicJwk }, att: 'ab'.repeat(32) });
      expect(cic.header.rz).toMatch(/^[0-9a-f]{64}$/);
    });
    it('emits the header as Go JSON and commits to it', () => {
      expect(cic.json.startsWith('{"alg":"ES256","att":"')).toBe(true);
      expect(cic.json).toContain(
        `"typ":"CIC","upk":{"alg":"ES256","crv":"P-256","kty":"EC","x":"${key.publicJwk.x}","y":"${key.publicJwk.y}"}}`,
      );
      expect(cic.commitment).toBe(cicCommitment(cic.header));
      expect(cic.commitment).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
    it('draws a fresh rz each time', () => {
      expect(createCic(key.publicJwk).header.rz).not.toBe(createCic(key.publicJwk).header.rz);
    });
  });

  describe.each(['alg', 'upk', 'rz', 'typ'])('when an extra claim is named %s', (name) => {
    it('throws PKT_CIC_INVALID', () => expectCode(() => createCic(key.publicJwk, { [name]: 'x' }), 'PKT_CIC_INVALID'));
  });

  describe.each(['a<b', 'a"b', 'a\\b', 'a&b', 'é', ''])('when an extra claim name is %j', (name) => {
    it('throws PKT_CIC_INVALID', () => expectCode(() => createCic(key.publicJwk, { [name]: 'x' }), 'PKT_CIC_INVALID'));
  });

  describe('when an extra claim value is not a string', () => {
    it('throws PKT_CIC_INVALID', () =>
      expectCode(() => createCic(key.publicJwk, { n: 1 } as unknown as Record<string, string>), 'PKT_CIC_INVALID'));
  });

  describe('when the key has no supported alg', () => {
    it('throws PKT_ALG_INVALID', () =>
      expectCode(() => createCic({ ...key.publicJwk, alg: 'HS256' }), 'PKT_ALG_INVALID'));
  });
});

describe('parseCicHeader', () => {
  const good = V.cic_headers[2].cic;

  it('returns alg, upk, rz and the extra claims', () => {
    const parsed = parseCicHeader(good);
    expect(parsed.alg).toBe('ES256');
    expect(parsed.upk).toMatchObject({ kty: 'EC', crv: 'P-256', x: good.upk.x });
    expect(parsed.extra).toEqual({ extra: 'yes' });
  });

  describe.each([
    ['rz is missing', { rz: undefined }, 'PKT_CIC_INVALID'],
    ['upk is missing', { upk: undefined }, 'PKT_CIC_INVALID'],
    ['alg is missing', { alg: undefined }, 'PKT_CIC_INVALID'],
    ['typ is not CIC', { typ: 'JWT' }, 'PKT_CIC_INVALID'],
    ['alg is not supported', { alg: 'HS256' }, 'PKT_ALG_INVALID'],
    ['alg differs from upk.alg', { alg: 'EdDSA' }, 'PKT_ALG_INVALID'],
    ['upk is not an object', { upk: 'key' }, 'PKT_CIC_INVALID'],
    ['upk carries a private key', { upk: { ...good.upk, d: 'AAAA' } }, 'PKT_CIC_INVALID'],
    ['upk is RSA while alg is ES256', { upk: { ...V.jkt[0].jwk, alg: 'ES256' } }, 'PKT_ALG_INVALID'],
  ])('when %s', (_what, change, code) => {
    it(`throws ${code}`, () => {
      const header = { ...good, ...change };
      for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k];
      return expectCode(() => parseCicHeader(header), code);
    });
  });
});
