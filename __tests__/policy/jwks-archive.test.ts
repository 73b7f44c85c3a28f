import { generateKeyPairSync } from 'node:crypto';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import { issuePkToken } from '../../src/identity/issue-pk-token.js';
import { discoveryKeyFinder, fetchJwks } from '../../src/identity/jwks.js';
import { githubActionsProvider } from '../../src/identity/oidc/github.js';
import { verifyPkToken } from '../../src/identity/verify-pk-token.js';
import {
  archiveKeyFinder,
  archiveTargetPath,
  emptyJwksArchive,
  mergeJwksArchive,
  parseJwksArchive,
  serializeJwksArchive,
  type JwksArchive,
} from '../../src/policy/jwks-archive.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { expectCode } from '../helpers.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const rsaJwk = (kid?: string): Record<string, unknown> => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...publicKey.export({ format: 'jwk' }), ...(kid ? { kid } : {}), alg: 'RS256', use: 'sig' };
};
const T0 = new Date('2024-01-01T00:00:00.123Z');
const T1 = new Date('2024-06-01T00:00:00Z');
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('archiveTargetPath', () => {
  it.each([
    [ISSUER, 'oidc/token.actions.githubusercontent.com/jwks.json'],
    ['https://login.example.com/realms/ci/', 'oidc/login.example.com/realms/ci/jwks.json'],
    ['http://127.0.0.1:4100', 'oidc/127.0.0.1:4100/jwks.json'],
  ])('maps %s to %s', (issuer, p) => expect(archiveTargetPath(issuer)).toBe(p));

  it.each([
    'not a url',
    'ftp://x.example',
    'https://u:p@x.example',
    'https://x.example/a?b=c',
    'https://x.example/%2e%2e/y',
    'https://x.example/a/../y',
  ])('throws POLICY_ARCHIVE_INVALID for %s', (issuer) =>
    expectCode(() => archiveTargetPath(issuer), 'POLICY_ARCHIVE_INVALID'),
  );
});

describe('mergeJwksArchive', () => {
  const a = rsaJwk('a');
  const b = rsaJwk('b');
  const first = mergeJwksArchive(emptyJwksArchive(ISSUER), { keys: [a] }, T0);

  describe('when a key is new', () => {
    it('adds it with first and last seen now (second precision)', () => {
      expect(first.added).toHaveLength(1);
      expect(first.archive.keys[0]).toMatchObject({
        firstSeen: '2024-01-01T00:00:00Z',
        lastSeen: '2024-01-01T00:00:00Z',
        jwk: { kid: 'a' },
      });
      expect(first.archive.keys[0]!.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });

  describe('when the provider rotated and dropped the old key', () => {
    const second = mergeJwksArchive(first.archive, { keys: [b] }, T1);
    it('keeps the old key and adds the new one', () => {
      expect(second.archive.keys.map((k) => [k.jwk.kid, k.firstSeen, k.lastSeen])).toEqual([
        ['a', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'],
        ['b', '2024-06-01T00:00:00Z', '2024-06-01T00:00:00Z'],
      ]);
    });
    it('does not change the archive it was given', () => expect(first.archive.keys).toHaveLength(1));
  });

  describe('when a known key is seen again', () => {
    it('moves its lastSeen only', () => {
      const again = mergeJwksArchive(first.archive, { keys: [a] }, T1);
      expect(again.seen).toBe(1);
      expect(again.archive.keys[0]).toMatchObject({
        firstSeen: '2024-01-01T00:00:00Z',
        lastSeen: '2024-06-01T00:00:00Z',
      });
    });
  });

  describe('when the provider publishes keys the verifier cannot use', () => {
    it('skips them and reports why', () => {
      const r = mergeJwksArchive(
        emptyJwksArchive(ISSUER),
        { keys: [{ kty: 'EC', crv: 'P-384', kid: 'p384', x: 'AA', y: 'AA' }, { ...a, d: 'secret' }, b] },
        T0,
      );
      expect(r.archive.keys.map((k) => k.jwk.kid)).toEqual(['b']);
      expect(r.skipped.map((s) => s.kid)).toEqual(['p384', 'a']);
    });
  });
});

describe('parseJwksArchive', () => {
  const good = mergeJwksArchive(emptyJwksArchive(ISSUER), { keys: [rsaJwk('a')] }, T0).archive;
  const key = good.keys[0]!;

  it('reads what serializeJwksArchive writes', () => {
    expect(parseJwksArchive(Buffer.from(serializeJwksArchive(good)))).toEqual(good);
  });

  it.each([
    ['not JSON', Buffer.from('{"issuer"')],
    ['a wrong thumbprint', bytes({ ...good, keys: [{ ...key, thumbprint: 'A'.repeat(43) }] })],
    ['a private member', bytes({ ...good, keys: [{ ...key, jwk: { ...key.jwk, d: 'AQAB' } }] })],
    ['an unknown field', bytes({ ...good, extra: 1 })],
    ['an unknown key field', bytes({ ...good, keys: [{ ...key, note: 'x' }] })],
    ['a key twice', bytes({ ...good, keys: [key, key] })],
    ['lastSeen before firstSeen', bytes({ ...good, keys: [{ ...key, lastSeen: '2023-01-01T00:00:00Z' }] })],
    ['a timestamp with a zone offset', bytes({ ...good, keys: [{ ...key, firstSeen: '2024-01-01T00:00:00+01:00' }] })],
    ['a bad issuer', bytes({ ...good, issuer: 'ftp://x' })],
    ['keys not an array', bytes({ ...good, keys: {} })],
    ['a short RSA key', bytes({ ...good, keys: [{ ...key, jwk: { kty: 'RSA', e: 'AQAB', n: 'AQAB' } }] })],
    ['oversized', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)],
  ])('throws POLICY_ARCHIVE_INVALID for %s', (_, b) => expectCode(() => parseJwksArchive(b), 'POLICY_ARCHIVE_INVALID'));
});

describe('archiveKeyFinder', () => {
  const a = rsaJwk('same');
  const b = rsaJwk('same');
  const first = mergeJwksArchive(emptyJwksArchive(ISSUER), { keys: [a] }, T0).archive;
  const archive: JwksArchive = mergeJwksArchive(first, { keys: [b] }, T1).archive;
  const find = archiveKeyFinder([archive]);
  const [ka, kb] = archive.keys;

  it('finds by jkt, even when the provider reused a kid', async () => {
    expect((await find(ISSUER, 'same', ka!.thumbprint))?.n).toBe(ka!.jwk.kty === 'RSA' ? ka!.jwk.n : undefined);
    expect((await find(ISSUER, 'same', kb!.thumbprint))?.n).toBe(kb!.jwk.kty === 'RSA' ? kb!.jwk.n : undefined);
  });

  it('refuses a jkt whose key has another kid', async () => {
    expect(await find(ISSUER, 'other', ka!.thumbprint)).toBeUndefined();
  });

  it('without jkt, takes the key of that kid seen last', async () => {
    expect((await find(ISSUER, 'same'))?.n).toBe(kb!.jwk.kty === 'RSA' ? kb!.jwk.n : undefined);
  });

  it('knows nothing of other issuers', async () => {
    expect(await find('https://evil.example', 'same', ka!.thumbprint)).toBeUndefined();
  });
});

describe('an archive synced before the provider rotated its key', () => {
  let oidc: GithubOidc;
  beforeAll(async () => {
    oidc = await startGithubOidc();
  });
  afterAll(() => oidc.close());

  it('verifies PK tokens signed with the rotated-away key, where live discovery alone does not', async () => {
    const provider = githubActionsProvider({
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
      issuer: oidc.issuer,
      setSecret: () => {},
    });
    const pkt = await issuePkToken({
      requestIdToken: provider.requestIdToken,
      commitmentClaim: 'aud',
      key: EphemeralKey.generate(),
      findKey: discoveryKeyFinder(),
      gq: true,
    });
    const synced = mergeJwksArchive(emptyJwksArchive(oidc.issuer), await fetchJwks(oidc.issuer), new Date()).archive;
    await oidc.rotateKey({ dropOld: true });
    const resynced = mergeJwksArchive(synced, await fetchJwks(oidc.issuer), new Date()).archive;
    expect(resynced.keys).toHaveLength(2);

    const opts = { allowedIssuers: [oidc.issuer], commitmentClaim: 'aud' as const, expiry: { kind: 'never' as const } };
    await expect(verifyPkToken(pkt, { ...opts, findKey: archiveKeyFinder([resynced]) })).resolves.toMatchObject({
      opAlg: 'GQ256',
    });
    await expectCode(() => verifyPkToken(pkt, { ...opts, findKey: discoveryKeyFinder() }), 'PKT_KID_UNKNOWN');
  });
});
