/** Hostile inputs for every tlog parser: DER, certificates, hashedrekord bodies, ext.tl entries,
 * checkpoints and log keys. Each must fail with its own code, never with a TypeError. */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_CERTIFICATE_BYTES, MAX_CHECKPOINT_BYTES } from '../../src/core/limits.js';
import { parseCheckpoint } from '../../src/tlog/checkpoint.js';
import {
  parseDer,
  readBitString,
  readBoolean,
  readInteger,
  readOid,
  readString,
  readTime,
} from '../../src/tlog/der.js';
import { parseTlogEntry, type TlogEntry } from '../../src/tlog/entry.js';
import { parseHashedRekordBody } from '../../src/tlog/hashedrekord.js';
import { LogPublicKey, logKeyringFromPems } from '../../src/tlog/keys.js';
import { RekorClient } from '../../src/tlog/rekor.js';
import { verifySignedEntryTimestamp } from '../../src/tlog/set.js';
import { createPkTokenCertificate, parsePkTokenCertificate } from '../../src/tlog/x509.js';
import { startRekorLog, type RekorLog } from '../fakes/rekor-log.js';
import { expectCode } from '../helpers.js';
import { ISS, SUB, makeSignature } from './signing.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('parseDer', () => {
  describe.each([
    ['a non-minimal short length (81 01)', '04 81 01 00'],
    ['a long length with a leading zero byte', `04 82 00 81 ${'00'.repeat(129)}`],
    ['an indefinite length', '30 80 00 00'],
    ['a 5-byte length', '04 85 00 00 00 00 01 00'],
    ['trailing bytes', '05 00 00'],
    ['a truncated value', '30 05 02 01'],
    ['a truncated length field', '04 82 01'],
    ['a child running past its parent', '30 03 02 05 01 02 03 04 05'],
    ['a high-tag-number form', '1f 81 00 00'],
    ['nothing at all', ''],
  ])('when given %s', (_, bytes) => {
    it('throws TLOG_DER_INVALID', () => expectCode(() => parseDer(hex(bytes), 't'), 'TLOG_DER_INVALID'));
  });

  describe('when nesting is deeper than the cap', () => {
    it('throws TLOG_DER_INVALID', () => {
      let enc = hex('05 00');
      for (let i = 0; i < 20; i++) enc = Buffer.concat([Buffer.from([0x30, enc.length]), enc]);
      return expectCode(() => parseDer(enc, 't'), 'TLOG_DER_INVALID');
    });
  });
});

describe('DER value readers', () => {
  const one = (s: string) => parseDer(hex(s), 't');
  it.each([
    ['a non-minimal INTEGER', () => readInteger(one('02 02 00 01'), 't')],
    ['a non-minimal negative INTEGER', () => readInteger(one('02 02 ff 80'), 't')],
    ['an empty INTEGER', () => readInteger(one('02 00'), 't')],
    ['an OID with a non-minimal arc', () => readOid(one('06 03 2a 80 01'), 't')],
    ['an OID ending mid-arc', () => readOid(one('06 02 2a 81'), 't')],
    ['a BIT STRING with non-zero unused bits', () => readBitString(one('03 02 07 81'), 't')],
    ['a BIT STRING claiming 8 unused bits', () => readBitString(one('03 02 08 00'), 't')],
    ['a BOOLEAN of 0x01', () => readBoolean(one('01 01 01'), 't')],
    ['a UTCTime on 30 February', () => readTime(one(`17 0d ${Buffer.from('250230120000Z').toString('hex')}`), 't')],
    ['a UTCTime without seconds', () => readTime(one(`17 0b ${Buffer.from('2502011200Z').toString('hex')}`), 't')],
    ['a UTF8String that is not UTF-8', () => readString(one('0c 02 c3 28'), 't', 'f')],
    ['a PrintableString with "*"', () => readString(one('13 01 2a'), 't', 'f')],
  ])('%s throws TLOG_DER_INVALID', (_, fn) => expectCode(fn, 'TLOG_DER_INVALID'));
});

describe('parsePkTokenCertificate', () => {
  const s = makeSignature('cert');
  const der = parsePkTokenCertificate(s.certificatePem).der;
  const pktAt = der.indexOf(s.expected.pkTokenJson);

  describe('when a byte of the PK token in the SKI was changed', () => {
    it('throws TLOG_CERT_SIGNATURE_INVALID', () => {
      const t = Buffer.from(der);
      t[pktAt + 5] = t[pktAt + 5]! ^ 0x01;
      return expectCode(() => parsePkTokenCertificate(t), 'TLOG_CERT_SIGNATURE_INVALID');
    });
  });

  describe('when the signature was changed', () => {
    it('throws TLOG_CERT_SIGNATURE_INVALID', () => {
      const t = Buffer.from(der);
      t[t.length - 3] = t[t.length - 3]! ^ 0x01;
      return expectCode(() => parsePkTokenCertificate(t), 'TLOG_CERT_SIGNATURE_INVALID');
    });
  });

  describe('when the DER SAN names another subject than the CN (wrong subject)', () => {
    it('throws TLOG_CERT_INVALID', () => {
      const t = Buffer.from(der);
      const san = t.lastIndexOf(Buffer.from(SUB));
      t[san + SUB.length - 1] = 'x'.charCodeAt(0);
      return expectCode(() => parsePkTokenCertificate(t), 'TLOG_CERT_INVALID');
    });
  });

  describe('when the outer signature algorithm says ecdsa-with-SHA384 (algorithm confusion)', () => {
    it('throws TLOG_CERT_INVALID', () => {
      const t = Buffer.from(der);
      const oid = hex('06 08 2a 86 48 ce 3d 04 03 02');
      const outer = t.lastIndexOf(oid);
      t[outer + oid.length - 1] = 0x03;
      return expectCode(() => parsePkTokenCertificate(t), 'TLOG_CERT_INVALID');
    });
  });

  describe('when truncated', () => {
    it('throws TLOG_DER_INVALID', () =>
      expectCode(() => parsePkTokenCertificate(der.subarray(0, der.length - 1)), 'TLOG_DER_INVALID'));
  });

  describe('when followed by a trailing byte', () => {
    it('throws TLOG_DER_INVALID', () =>
      expectCode(() => parsePkTokenCertificate(Buffer.concat([der, Buffer.from([0])])), 'TLOG_DER_INVALID'));
  });

  describe('when larger than the certificate cap', () => {
    it('throws TLOG_CERT_INVALID', () =>
      expectCode(() => parsePkTokenCertificate(Buffer.alloc(MAX_CERTIFICATE_BYTES + 1)), 'TLOG_CERT_INVALID'));
  });

  describe.each([
    ['two PEM blocks', (pem: string) => pem + pem],
    ['text before the block', (pem: string) => `hello\n${pem}`],
    ['a PEM header line', (pem: string) => pem.replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\n')],
    ['another label', (pem: string) => pem.replace(/CERTIFICATE/g, 'PUBLIC KEY')],
    ['a bad base64 character', (pem: string) => pem.replace(/\n[A-Za-z]/, '\n!')],
  ])('when the PEM has %s', (_, mutate) => {
    it('throws TLOG_CERT_INVALID', () =>
      expectCode(() => parsePkTokenCertificate(mutate(s.certificatePem)), 'TLOG_CERT_INVALID'));
  });

  describe('when the certificate has an RSA key', () => {
    it('throws TLOG_CERT_INVALID', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'opk-rsa-'));
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-keyout',
            path.join(dir, 'k'),
            '-out',
            path.join(dir, 'c'),
            '-days',
            '1',
            '-subj',
            '/CN=x',
          ],
          { stdio: 'ignore' },
        );
        return expectCode(
          () =>
            parsePkTokenCertificate(
              execFileSync('openssl', ['x509', '-in', path.join(dir, 'c')], { encoding: 'utf8' }),
            ),
          'TLOG_CERT_INVALID',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('when the PK token would not fit the certificate cap', () => {
    it('createPkTokenCertificate throws TLOG_CERT_INVALID', () =>
      expectCode(
        () =>
          createPkTokenCertificate({
            key: s.key,
            pkTokenJson: Buffer.alloc(70 * 1024, 0x61),
            subject: SUB,
            issuer: ISS,
          }),
        'TLOG_CERT_INVALID',
      ));
  });
});

describe('parseHashedRekordBody', () => {
  const s = makeSignature('body');
  const good = {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: s.proposal.spec.data.hash.value } },
      signature: s.proposal.spec.signature,
    },
  };
  const body = (mutate: (b: any) => void): Buffer => {
    const b = structuredClone(good);
    mutate(b);
    return Buffer.from(JSON.stringify(b));
  };

  it('accepts the proposed entry', () =>
    expect(parseHashedRekordBody(body(() => {})).certificate.pkTokenJson).toEqual(s.expected.pkTokenJson));

  it.each([
    ['not JSON', Buffer.from('{"apiVersion":')],
    ['a JSON array', Buffer.from('[1,2]')],
    [
      'kind rekord',
      body((b) => {
        b.kind = 'rekord';
      }),
    ],
    [
      'apiVersion 0.0.2',
      body((b) => {
        b.apiVersion = '0.0.2';
      }),
    ],
    [
      'no spec',
      body((b) => {
        delete b.spec;
      }),
    ],
    [
      'algorithm sha512',
      body((b) => {
        b.spec.data.hash.algorithm = 'sha512';
      }),
    ],
    [
      'an uppercase hash',
      body((b) => {
        b.spec.data.hash.value = b.spec.data.hash.value.toUpperCase();
      }),
    ],
    [
      'a short hash',
      body((b) => {
        b.spec.data.hash.value = 'ab';
      }),
    ],
    [
      'a truncated base64 signature',
      body((b) => {
        b.spec.signature.content = b.spec.signature.content.slice(0, -1);
      }),
    ],
    [
      'a numeric signature',
      body((b) => {
        b.spec.signature.content = 5;
      }),
    ],
    [
      'no public key',
      body((b) => {
        delete b.spec.signature.publicKey;
      }),
    ],
  ])('throws TLOG_BODY_INVALID for %s', (_, raw) => expectCode(() => parseHashedRekordBody(raw), 'TLOG_BODY_INVALID'));

  it('throws TLOG_CERT_INVALID when the "certificate" is a bare public key', () => {
    const pem = createPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey).export({
      format: 'pem',
      type: 'spki',
    }) as string;
    return expectCode(
      () =>
        parseHashedRekordBody(
          body((b) => {
            b.spec.signature.publicKey.content = Buffer.from(pem).toString('base64');
          }),
        ),
      'TLOG_CERT_INVALID',
    );
  });
});

describe('parseTlogEntry', () => {
  const base: TlogEntry = {
    uuid: 'ab'.repeat(40),
    body: 'eyJhIjoxfQ==',
    integratedTime: 1700000000,
    logID: 'cd'.repeat(32),
    logIndex: 5,
    verification: {
      signedEntryTimestamp: 'MEUCIQ==',
      inclusionProof: {
        logIndex: 5,
        rootHash: 'ef'.repeat(32),
        treeSize: 6,
        hashes: ['01'.repeat(32)],
        checkpoint: 'x\n',
      },
    },
  };
  const mutated = (f: (e: any) => void): unknown => {
    const e = structuredClone(base) as any;
    f(e);
    return e;
  };

  it('accepts a well-formed entry and drops unknown fields', () => {
    expect(parseTlogEntry({ ...base, attestation: { data: 'x' } })).toEqual(base);
  });

  it.each([
    ['null', null],
    ['an array', [base]],
    [
      'no uuid',
      mutated((e) => {
        delete e.uuid;
      }),
    ],
    [
      'an uppercase uuid',
      mutated((e) => {
        e.uuid = e.uuid.toUpperCase();
      }),
    ],
    [
      'a logIndex as a string',
      mutated((e) => {
        e.logIndex = '5';
      }),
    ],
    [
      'a negative logIndex',
      mutated((e) => {
        e.logIndex = -1;
      }),
    ],
    [
      'a fractional integratedTime',
      mutated((e) => {
        e.integratedTime = 1.5;
      }),
    ],
    [
      'an unsafe integer',
      mutated((e) => {
        e.logIndex = 2 ** 53;
      }),
    ],
    [
      'an uppercase logID',
      mutated((e) => {
        e.logID = e.logID.toUpperCase();
      }),
    ],
    [
      'a body that is not base64',
      mutated((e) => {
        e.body = 'not base64!';
      }),
    ],
    [
      'verification as an array',
      mutated((e) => {
        e.verification = [];
      }),
    ],
    [
      'a treeSize of 0',
      mutated((e) => {
        e.verification.inclusionProof.treeSize = 0;
      }),
    ],
    [
      'a proof hash that is not hex',
      mutated((e) => {
        e.verification.inclusionProof.hashes = ['zz'.repeat(32)];
      }),
    ],
    [
      'proof hashes as a string',
      mutated((e) => {
        e.verification.inclusionProof.hashes = '01'.repeat(32);
      }),
    ],
    [
      'an oversized checkpoint',
      mutated((e) => {
        e.verification.inclusionProof.checkpoint = 'x'.repeat(MAX_CHECKPOINT_BYTES + 1);
      }),
    ],
    [
      'a SET that is not base64',
      mutated((e) => {
        e.verification.signedEntryTimestamp = '***';
      }),
    ],
  ])('throws TLOG_ENTRY_INVALID for %s', (_, v) => expectCode(() => parseTlogEntry(v), 'TLOG_ENTRY_INVALID'));

  it('names every bad field in one message', () => {
    try {
      parseTlogEntry(
        mutated((e) => {
          e.logIndex = -1;
          e.logID = 'x';
          e.verification.inclusionProof.rootHash = 1;
        }),
      );
      throw new Error('no error');
    } catch (err) {
      expect((err as Error).message).toMatch(/logID.*logIndex.*rootHash/);
    }
  });
});

describe('verifySignedEntryTimestamp', () => {
  let log: RekorLog;
  beforeAll(async () => {
    log = await startRekorLog();
  });
  afterAll(() => log.close());

  it('throws TLOG_SET_INVALID for a truncated SET, a non-canonical SET and a SET over another index', async () => {
    const entry = await new RekorClient({ url: log.url }).createEntry(makeSignature('set').proposal);
    const key = LogPublicKey.fromPem(log.publicKeyPem);
    expect(() => verifySignedEntryTimestamp(entry, key)).not.toThrow();
    const set = entry.verification.signedEntryTimestamp!;
    const truncated = Buffer.from(set, 'base64').subarray(0, 20).toString('base64');
    await expectCode(
      () => verifySignedEntryTimestamp({ ...entry, verification: { signedEntryTimestamp: truncated } }, key),
      'TLOG_SET_INVALID',
    );
    const nonCanonical = set.endsWith('=')
      ? set.slice(0, -2) + String.fromCharCode(set.charCodeAt(set.length - 2) + 1) + '='
      : set;
    if (nonCanonical !== set)
      await expectCode(
        () => verifySignedEntryTimestamp({ ...entry, verification: { signedEntryTimestamp: nonCanonical } }, key),
        'TLOG_SET_INVALID',
      );
    await expectCode(
      () => verifySignedEntryTimestamp({ ...entry, logIndex: entry.logIndex + 1 }, key),
      'TLOG_SET_INVALID',
    );
  });
});

describe('parseCheckpoint', () => {
  const root = Buffer.alloc(32, 1).toString('base64');
  const sig = `\u2014 log ${Buffer.alloc(40, 2).toString('base64')}\n`;
  it.each([
    ['missing the root hash line', `origin\n5\n\n${sig}`],
    ['only an origin', `origin\n\n${sig}`],
    ['an empty origin', `\n5\n${root}\n\n${sig}`],
    ['a root hash that is not base64', `o\n5\n!!!!\n\n${sig}`],
    ['a root hash with non-canonical padding bits', `o\n5\n${root.slice(0, -2)}B=\n\n${sig}`],
    ['a 31-byte root hash', `o\n5\n${Buffer.alloc(31).toString('base64')}\n\n${sig}`],
    ['a size of 2^64', `o\n18446744073709551616\n${root}\n\n${sig}`],
    ['a huge size', `o\n${'9'.repeat(400)}\n${root}\n\n${sig}`],
    ['a size with a leading zero', `o\n05\n${root}\n\n${sig}`],
    ['a negative size', `o\n-5\n${root}\n\n${sig}`],
    ['a size in exponent form', `o\n1e3\n${root}\n\n${sig}`],
    ['no blank line', `o\n5\n${root}\n${sig}`],
    ['two blank lines', `o\n5\n${root}\n\n${sig}\n${sig}`],
    ['no signature lines', `o\n5\n${root}\n\n`],
    ['a signature block without final newline', `o\n5\n${root}\n\n${sig.trimEnd()}`],
    [
      'a signature line with a hyphen instead of an em dash',
      `o\n5\n${root}\n\n- log ${Buffer.alloc(40).toString('base64')}\n`,
    ],
    ['a signature line with three fields', `o\n5\n${root}\n\n\u2014 log x ${Buffer.alloc(40).toString('base64')}\n`],
    ['a signature of 4 bytes (key hint only)', `o\n5\n${root}\n\n\u2014 log ${Buffer.alloc(4).toString('base64')}\n`],
    ['a signature that is not base64', `o\n5\n${root}\n\n\u2014 log ****\n`],
    ['a carriage return', `o\r\n5\n${root}\n\n${sig}`],
    ['a NUL byte in the origin', `o\u0000\n5\n${root}\n\n${sig}`],
    ['a lone surrogate', `o\ud800\n5\n${root}\n\n${sig}`],
    ['more bytes than the cap', `o\n5\n${root}\n${'x'.repeat(MAX_CHECKPOINT_BYTES)}\n\n${sig}`],
    ['more lines than the cap', `o\n5\n${root}\n${'x\n'.repeat(80)}\n${sig}`],
  ])('throws TLOG_CHECKPOINT_INVALID for %s', (_, text) =>
    expectCode(() => parseCheckpoint(text), 'TLOG_CHECKPOINT_INVALID'),
  );
});

describe('LogPublicKey', () => {
  const pemOf = (k: ReturnType<typeof generateKeyPairSync>['publicKey']): string =>
    k.export({ format: 'pem', type: 'spki' }) as string;
  it.each([
    ['an RSA key', () => pemOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)],
    ['a P-384 key', () => pemOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey)],
    ['an Ed25519 key', () => pemOf(generateKeyPairSync('ed25519').publicKey)],
    ['not a key', () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'],
    ['a certificate', () => makeSignature('k').certificatePem],
  ])('fromPem throws TLOG_KEY_INVALID for %s', (_, pem) =>
    expectCode(() => LogPublicKey.fromPem(pem()), 'TLOG_KEY_INVALID'),
  );

  it('fromDer throws TLOG_KEY_INVALID for a compressed point (non-canonical SPKI)', () => {
    const spki = createPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey).export({
      format: 'der',
      type: 'spki',
    });
    const x = spki.subarray(spki.length - 64, spki.length - 32);
    const y = spki[spki.length - 1]!;
    const compressed = Buffer.concat([
      hex('3039301306072a8648ce3d020106082a8648ce3d030107032200'),
      Buffer.from([0x02 | (y & 1)]),
      x,
    ]);
    return expectCode(() => LogPublicKey.fromDer(compressed), 'TLOG_KEY_INVALID');
  });

  it('logKeyringFromPems throws TLOG_KEY_INVALID when a file is named after another log ID', () => {
    const pem = pemOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    return expectCode(() => logKeyringFromPems({ ['ab'.repeat(32)]: pem }), 'TLOG_KEY_INVALID');
  });

  it('logKeyringFromPems throws TLOG_KEY_INVALID for a name that is not a log ID', () => {
    const pem = pemOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    return expectCode(() => logKeyringFromPems({ 'rekor.pem': pem }), 'TLOG_KEY_INVALID');
  });

  it('logKeyringFromPems accepts a file named by its own log ID', () => {
    const pem = pemOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    const id = LogPublicKey.fromPem(pem).logId;
    expect([...logKeyringFromPems({ [id]: pem }).keys()]).toEqual([id]);
  });
});
