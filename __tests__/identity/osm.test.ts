import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { signOsm, verifyOsm } from '../../src/identity/osm.js';
import type { PkToken } from '../../src/identity/pk-token.js';
import { expectCode } from '../helpers.js';
import { createTestOp, issueFrom } from './test-op.js';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

describe('signOsm', () => {
  const op = createTestOp();
  const key = EphemeralKey.generate();
  let pkt: PkToken;
  let other: PkToken;
  let osm: string;
  beforeAll(async () => {
    pkt = await issueFrom(op, { key });
    other = await issueFrom(op, { key });
    osm = signOsm(Buffer.from('hello'), pkt, key);
  });

  it('writes {"alg":"ES256","kid":<PK token hash>,"typ":"osm"} over the raw content', () => {
    const [h, p] = osm.split('.');
    expect(Buffer.from(h!, 'base64url').toString()).toBe(`{"alg":"ES256","kid":"${pkt.hash()}","typ":"osm"}`);
    expect(Buffer.from(p!, 'base64url').toString()).toBe('hello');
  });

  describe('verifyOsm', () => {
    it('returns the content', () => expect(verifyOsm(osm, pkt).toString()).toBe('hello'));

    describe('when the OSM was made for another PK token of the same key', () => {
      it('throws OSM_INVALID', () => expectCode(() => verifyOsm(osm, other), 'OSM_INVALID'));
    });

    describe.each([
      ['typ', { typ: 'OSM' }],
      ['alg', { alg: 'EdDSA' }],
      ['kid', { kid: 'x' }],
    ])('when the header %s is wrong', (_what, change) => {
      it('throws OSM_INVALID', () => {
        const [h, p] = osm.split('.');
        const header = b64(JSON.stringify({ ...JSON.parse(Buffer.from(h!, 'base64url').toString()), ...change }));
        return expectCode(
          () => verifyOsm(`${header}.${p}.${b64(key.signJose(Buffer.from(`${header}.${p}`)))}`, pkt),
          'OSM_INVALID',
        );
      });
    });

    describe('when the content is altered', () => {
      it('throws OSM_INVALID', () => {
        const [h, , s] = osm.split('.');
        return expectCode(() => verifyOsm(`${h}.${b64('hellO')}.${s}`, pkt), 'OSM_INVALID');
      });
    });

    describe('when it is signed by another key', () => {
      it('throws OSM_INVALID', () => {
        const [h, p] = osm.split('.');
        return expectCode(
          () => verifyOsm(`${h}.${p}.${b64(EphemeralKey.generate().signJose(Buffer.from(`${h}.${p}`)))}`, pkt),
          'OSM_INVALID',
        );
      });
    });

    describe('when it is not a compact JWS', () => {
      it('throws OSM_INVALID', () => expectCode(() => verifyOsm('a.b', pkt), 'OSM_INVALID'));
    });

    describe('when a custom typ is expected', () => {
      it('checks it', () => expectCode(() => verifyOsm(osm, pkt, { typ: 'ssh' }), 'OSM_INVALID'));
    });
  });

  describe("when the key is not the token's upk", () => {
    it('throws OSM_INVALID', () =>
      expectCode(() => signOsm(Buffer.from('x'), pkt, EphemeralKey.generate()), 'OSM_INVALID'));
  });
});
