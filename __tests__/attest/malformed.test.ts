/**
 * Hostile envelopes: tampered, truncated, oversized, wrong key, wrong subject, replayed and
 * algorithm-confused. Each must fail with its own code before anything trusts it.
 */
import { createHash } from 'node:crypto';
import { verifyAttestationEnvelope } from '../../src/attest/verify-envelope.js';
import { buildEnvelope, parseEnvelope, serializeEnvelope } from '../../src/attest/dsse.js';
import { EphemeralKey } from '../../src/identity/ephemeral-key.js';
import type { Digest } from '../../src/core/digest.js';
import { MAX_ENVELOPE_BYTES, MAX_PK_TOKEN_BYTES, MAX_PROOF_HASHES } from '../../src/core/limits.js';
import { expectCode } from '../helpers.js';
import { digestFor, editEnvelope, signRun, statementBytes, stubVerify } from './run-fixture.js';

const amd64 = digestFor('amd64');
const arm64 = digestFor('arm64');
const verify = (bytes: Buffer, digest: Digest | undefined = amd64) =>
  verifyAttestationEnvelope(bytes, {
    verifyPkToken: stubVerify,
    ...(digest === undefined ? {} : { expectedSubjectDigest: digest }),
  });
const paeOf = (body: Buffer) =>
  Buffer.concat([Buffer.from(`DSSEv1 28 application/vnd.in-toto+json ${body.length} `), body]);

/** Re-encodes a DER ECDSA signature with a superfluous leading zero on r (valid BER, not DER). */
function nonMinimalDer(der: Buffer): Buffer {
  const rLen = der[3]!;
  const r = der.subarray(4, 4 + rLen);
  const rest = der.subarray(4 + rLen);
  const body = Buffer.concat([Buffer.from([0x02, rLen + 1, 0x00]), r, rest]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** DER ECDSA → raw r‖s (the JOSE encoding), to try the other signature format. */
function derToRaw(der: Buffer): Buffer {
  const rLen = der[3]!;
  const r = der.subarray(4, 4 + rLen);
  const s = der.subarray(6 + rLen);
  const fixed = (x: Buffer) => Buffer.concat([Buffer.alloc(32), x]).subarray(-32);
  return Buffer.concat([fixed(r), fixed(s)]);
}

let single: Awaited<ReturnType<typeof signRun>>;
let multi: Awaited<ReturnType<typeof signRun>>;
beforeAll(async () => {
  single = await signRun([amd64]);
  multi = await signRun([amd64, arm64, digestFor('arm'), digestFor('ppc64le')]);
});

describe('verifyAttestationEnvelope', () => {
  describe('when the statement bytes were tampered with', () => {
    it('throws DSSE_SIGNATURE_INVALID', () => {
      const bytes = editEnvelope(single.bytes[0]!, (env) => {
        const body = Buffer.from(env.payload, 'base64');
        body[body.indexOf('"x"') + 1] = 0x79; // builder id "x" → "y"
        env.payload = body.toString('base64');
      });
      return expectCode(() => verify(bytes), 'DSSE_SIGNATURE_INVALID');
    });
  });

  describe('when an envelope signed for one platform is presented for another', () => {
    it('throws STMT_SUBJECT_MISMATCH', () => expectCode(() => verify(multi.bytes[0]!, arm64), 'STMT_SUBJECT_MISMATCH'));
  });

  describe('when the statement subject matches nothing in the image', () => {
    it('throws STMT_SUBJECT_MISMATCH', async () => {
      const stranger = await signRun([digestFor('some other image')]);
      await expectCode(() => verify(stranger.bytes[0]!, amd64), 'STMT_SUBJECT_MISMATCH');
    });
  });

  describe('when an envelope carries the attProof of another leaf', () => {
    it('throws BIND_ATTS_MISMATCH', () => {
      const other = multi.signed[1]!.attProof!;
      const bytes = editEnvelope(multi.bytes[0]!, (env) => {
        env.signatures[0].extension.ext.attProof = other;
      });
      return expectCode(() => verify(bytes), 'BIND_ATTS_MISMATCH');
    });
  });

  describe('when an envelope carries its own proof hashes under another index', () => {
    it('throws BIND_ATTS_MISMATCH', () => {
      const bytes = editEnvelope(multi.bytes[0]!, (env) => {
        env.signatures[0].extension.ext.attProof.index = 1;
      });
      return expectCode(() => verify(bytes), 'BIND_ATTS_MISMATCH');
    });
  });

  describe('when the attProof index is outside the run', () => {
    it('throws BIND_INDEX_OUT_OF_RANGE', () => {
      const bytes = editEnvelope(multi.bytes[3]!, (env) => {
        env.signatures[0].extension.ext.attProof.index = 4;
      });
      return expectCode(() => verify(bytes, digestFor('ppc64le')), 'BIND_INDEX_OUT_OF_RANGE');
    });
  });

  describe('when the attProof has a hash too many', () => {
    it('throws BIND_PROOF_INVALID', () => {
      const bytes = editEnvelope(multi.bytes[0]!, (env) => {
        env.signatures[0].extension.ext.attProof.hashes.push('00'.repeat(32));
      });
      return expectCode(() => verify(bytes), 'BIND_PROOF_INVALID');
    });
  });

  describe('when the attProof is dropped from an atts-bound envelope', () => {
    it('throws BIND_PROOF_MISSING', () => {
      const bytes = editEnvelope(multi.bytes[0]!, (env) => {
        delete env.signatures[0].extension.ext.attProof;
      });
      return expectCode(() => verify(bytes), 'BIND_PROOF_MISSING');
    });
  });

  describe('when an attProof is added to an att-bound envelope', () => {
    it('throws BIND_PROOF_UNEXPECTED', () => {
      const bytes = editEnvelope(single.bytes[0]!, (env) => {
        env.signatures[0].extension.ext.attProof = { index: 0, size: 1, hashes: [] };
      });
      return expectCode(() => verify(bytes), 'BIND_PROOF_UNEXPECTED');
    });
  });

  describe('when the PK token belongs to another run (keyid is of the other key)', () => {
    it('throws DSSE_KEYID_MISMATCH', () => {
      const bytes = editEnvelope(single.bytes[0]!, (env) => {
        env.signatures[0].extension.ext.pkt = JSON.parse(multi.bytes[0]!.toString()).signatures[0].extension.ext.pkt;
      });
      return expectCode(() => verify(bytes), 'DSSE_KEYID_MISMATCH');
    });
  });

  describe('when another key signs and spoofs the keyid of the PK token key', () => {
    it('throws DSSE_SIGNATURE_INVALID', () => {
      const mallory = EphemeralKey.generate();
      const bytes = editEnvelope(single.bytes[0]!, (env) => {
        env.signatures[0].sig = mallory.signDer(paeOf(Buffer.from(env.payload, 'base64'))).toString('base64');
      });
      return expectCode(() => verify(bytes), 'DSSE_SIGNATURE_INVALID');
    });
  });

  describe("when a leaked key signs a new statement and replays the run's att-bound PK token", () => {
    it('throws BIND_ATT_MISMATCH', () => {
      const forged = statementBytes(amd64, 'https://slsa.dev/provenance/v0.2', ',"evil":true');
      const env = buildEnvelope({
        payload: forged,
        keyid: single.key.keyid,
        sig: single.key.signDer(paeOf(forged)),
        pkt: single.signed[0]!.envelope.signature.ext.pkt,
      });
      return expectCode(() => verify(serializeEnvelope(env)), 'BIND_ATT_MISMATCH');
    });
  });

  describe("when a leaked key signs a new statement and replays the run's atts-bound PK token and a proof", () => {
    it('throws BIND_ATTS_MISMATCH', () => {
      const forged = statementBytes(amd64, 'https://slsa.dev/provenance/v0.2', ',"evil":true');
      const { pkt, attProof } = multi.signed[0]!.envelope.signature.ext;
      const env = buildEnvelope({
        payload: forged,
        keyid: multi.key.keyid,
        sig: multi.key.signDer(paeOf(forged)),
        pkt,
        attProof: attProof!,
      });
      return expectCode(() => verify(serializeEnvelope(env)), 'BIND_ATTS_MISMATCH');
    });
  });

  describe('when the signature is raw r‖s instead of DER', () => {
    it('throws DSSE_SIGNATURE_INVALID', () => {
      const bytes = editEnvelope(single.bytes[0]!, (env) => {
        env.signatures[0].sig = derToRaw(Buffer.from(env.signatures[0].sig, 'base64')).toString('base64');
      });
      return expectCode(() => verify(bytes), 'DSSE_SIGNATURE_INVALID');
    });
  });

  describe('when the DER signature has a non-minimal integer', () => {
    it('throws DSSE_SIGNATURE_INVALID', () => {
      const bytes = editEnvelope(single.bytes[0]!, (env) => {
        // ECDSA is randomised: take a signature short enough that one more byte stays within 72.
        let der: Buffer;
        do der = single.key.signDer(paeOf(Buffer.from(env.payload, 'base64')));
        while (der.length > 71);
        env.signatures[0].sig = nonMinimalDer(der).toString('base64');
      });
      return expectCode(() => verify(bytes), 'DSSE_SIGNATURE_INVALID');
    });
  });

  describe('when the PK token carries an RSA upk', () => {
    it('throws DSSE_KEY_INVALID', () => {
      const rsaVerify = async (pkt: Buffer) => ({
        ...(await stubVerify(pkt)),
        upk: { kty: 'RSA', crv: 'P-256', x: 'a', y: 'b' },
      });
      return expectCode(
        () => verifyAttestationEnvelope(single.bytes[0]!, { verifyPkToken: rsaVerify }),
        'DSSE_KEY_INVALID',
      );
    });
  });

  describe('when the PK token upk claims another algorithm', () => {
    it('throws DSSE_KEY_INVALID', () => {
      const edVerify = async (pkt: Buffer) => {
        const t = await stubVerify(pkt);
        return { ...t, upk: { ...t.upk, alg: 'EdDSA' } };
      };
      return expectCode(
        () => verifyAttestationEnvelope(single.bytes[0]!, { verifyPkToken: edVerify }),
        'DSSE_KEY_INVALID',
      );
    });
  });
});

describe('parseEnvelope', () => {
  const edited = (edit: (env: any) => void) => editEnvelope(single.bytes[0]!, edit);

  describe('when the payload is base64 without padding', () => {
    it('throws DSSE_ENCODING_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.payload = 'e30'; /* "{}" is e30= */
            }),
          ),
        'DSSE_ENCODING_INVALID',
      ));
  });

  describe('when the payload has non-zero trailing bits', () => {
    it('throws DSSE_ENCODING_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.payload = 'e31='; /* "{}" is e30= */
            }),
          ),
        'DSSE_ENCODING_INVALID',
      ));
  });

  describe('when the payload is base64url', () => {
    it('throws DSSE_ENCODING_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.payload = Buffer.from('{"a":"???>>>"}').toString('base64url');
            }),
          ),
        'DSSE_ENCODING_INVALID',
      ));
  });

  describe('when the payload has a line break', () => {
    it('throws DSSE_ENCODING_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.payload = `${env.payload.slice(0, 8)}\n${env.payload.slice(8)}`;
            }),
          ),
        'DSSE_ENCODING_INVALID',
      ));
  });

  describe('when the extension kind is not OPK', () => {
    it('throws DSSE_EXTENSION_KIND', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.signatures[0].extension.kind = 'application/vnd.docker.attestation-verification.v1+json';
            }),
          ),
        'DSSE_EXTENSION_KIND',
      ));
  });

  describe('when the signature has no extension', () => {
    it('throws DSSE_EXTENSION_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              delete env.signatures[0].extension;
            }),
          ),
        'DSSE_EXTENSION_INVALID',
      ));
  });

  describe('when the OPK extension has an unknown field', () => {
    it('throws DSSE_EXTENSION_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.signatures[0].extension.ext.cert = 'x';
            }),
          ),
        'DSSE_EXTENSION_INVALID',
      ));
  });

  describe('when the envelope has an unknown top-level field', () => {
    it('throws DSSE_MALFORMED', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.payloadType2 = 'x';
            }),
          ),
        'DSSE_MALFORMED',
      ));
  });

  describe('when the payload type is not in-toto', () => {
    it('throws DSSE_PAYLOAD_TYPE_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.payloadType = 'application/vnd.in-toto+cbor';
            }),
          ),
        'DSSE_PAYLOAD_TYPE_INVALID',
      ));
  });

  describe('when the envelope exceeds MAX_ENVELOPE_BYTES', () => {
    it('throws DSSE_TOO_LARGE before parsing', () =>
      expectCode(() => parseEnvelope(Buffer.alloc(MAX_ENVELOPE_BYTES + 1, 0x20)), 'DSSE_TOO_LARGE'));
  });

  describe('when the PK token exceeds MAX_PK_TOKEN_BYTES', () => {
    it('throws DSSE_TOO_LARGE', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.signatures[0].extension.ext.pkt = Buffer.alloc(MAX_PK_TOKEN_BYTES + 3, 0x61).toString('base64');
            }),
          ),
        'DSSE_TOO_LARGE',
      ));
  });

  describe('when the PK token decodes to one byte over MAX_PK_TOKEN_BYTES', () => {
    it('throws DSSE_TOO_LARGE', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.signatures[0].extension.ext.pkt = Buffer.alloc(MAX_PK_TOKEN_BYTES + 1, 0x61).toString('base64');
            }),
          ),
        'DSSE_TOO_LARGE',
      ));
  });

  describe('when the JSON is truncated', () => {
    it('throws DSSE_MALFORMED', () =>
      expectCode(() => parseEnvelope(single.bytes[0]!.subarray(0, single.bytes[0]!.length - 3)), 'DSSE_MALFORMED'));
  });

  describe('when the bytes are not UTF-8', () => {
    it('throws DSSE_MALFORMED', () =>
      expectCode(
        () =>
          parseEnvelope(
            Buffer.concat([Buffer.from('{"payloadType":"\xff'), Buffer.from([0xc0, 0x80]), Buffer.from('"}')]),
          ),
        'DSSE_MALFORMED',
      ));
  });

  describe('when the signature is duplicated', () => {
    it('throws DSSE_SIGNATURE_COUNT', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.signatures.push(env.signatures[0]);
            }),
          ),
        'DSSE_SIGNATURE_COUNT',
      ));
  });

  describe('when there is no signature', () => {
    it('throws DSSE_SIGNATURE_COUNT', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.signatures = [];
            }),
          ),
        'DSSE_SIGNATURE_COUNT',
      ));
  });

  describe('when the keyid is uppercase hex', () => {
    it('throws DSSE_ENCODING_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.signatures[0].keyid = env.signatures[0].keyid.toUpperCase();
            }),
          ),
        'DSSE_ENCODING_INVALID',
      ));
  });

  describe('when the keyid is missing', () => {
    it('throws DSSE_MALFORMED', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              delete env.signatures[0].keyid;
            }),
          ),
        'DSSE_MALFORMED',
      ));
  });

  describe('when the signature is longer than any DER P-256 signature', () => {
    it('throws DSSE_TOO_LARGE', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.signatures[0].sig = Buffer.alloc(80).toString('base64');
            }),
          ),
        'DSSE_TOO_LARGE',
      ));
  });

  describe('when the attProof index is not an integer', () => {
    it.each([[1.5], ['1'], [-1], [2 ** 53]])('throws DSSE_EXTENSION_INVALID for %p', (index) =>
      expectCode(
        () =>
          parseEnvelope(
            editEnvelope(multi.bytes[1]!, (env) => {
              env.signatures[0].extension.ext.attProof.index = index;
            }),
          ),
        'DSSE_EXTENSION_INVALID',
      ),
    );
  });

  describe('when the attProof has more than MAX_PROOF_HASHES hashes', () => {
    it('throws DSSE_EXTENSION_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            editEnvelope(multi.bytes[1]!, (env) => {
              env.signatures[0].extension.ext.attProof.hashes = Array(MAX_PROOF_HASHES + 1).fill('00'.repeat(32));
            }),
          ),
        'DSSE_EXTENSION_INVALID',
      ));
  });

  describe('when an attProof hash is uppercase', () => {
    it('throws DSSE_EXTENSION_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            editEnvelope(multi.bytes[1]!, (env) => {
              env.signatures[0].extension.ext.attProof.hashes[0] =
                env.signatures[0].extension.ext.attProof.hashes[0].toUpperCase();
            }),
          ),
        'DSSE_EXTENSION_INVALID',
      ));
  });

  describe('when the log entry is not an object', () => {
    it('throws DSSE_EXTENSION_INVALID', () =>
      expectCode(
        () =>
          parseEnvelope(
            edited((env) => {
              env.signatures[0].extension.ext.tl = ['x'];
            }),
          ),
        'DSSE_EXTENSION_INVALID',
      ));
  });

  describe('when the envelope is a JSON string', () => {
    it('throws DSSE_MALFORMED', () => expectCode(() => parseEnvelope(Buffer.from('"x"')), 'DSSE_MALFORMED'));
  });
});

describe('verifyAttestationEnvelope with an attacker-built statement', () => {
  describe('when a correctly signed payload is not an in-toto statement', () => {
    it('throws STMT_TYPE_UNSUPPORTED after the signature and binding checks', async () => {
      const key = EphemeralKey.generate();
      const body = Buffer.from('{"hello":"world"}');
      const p = paeOf(body);
      const pkt = Buffer.from(
        JSON.stringify({ upk: key.publicJwk, cic: { att: createHash('sha256').update(p).digest('hex') } }),
      );
      const env = buildEnvelope({ payload: body, keyid: key.keyid, sig: key.signDer(p), pkt });
      await expectCode(() => verify(serializeEnvelope(env)), 'STMT_TYPE_UNSUPPORTED');
    });
  });
});
