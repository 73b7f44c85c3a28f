import {
  parseStatement,
  subjectMatches,
  requireSubject,
  artifactKind,
  artifactTypeFor,
  makeStatement,
  DSSE_ARTIFACT_TYPES,
  STATEMENT_TYPE_V1,
  DSSE_MEDIA_TYPE,
} from '../../src/attest/intoto.js';
import { AttestError } from '../../src/attest/errors.js';
import { MAX_STATEMENT_BYTES } from '../../src/core/limits.js';
import { expectCode } from '../helpers.js';
import { digestFor, statementBytes } from './run-fixture.js';

const amd64 = digestFor('amd64');
const arm64 = digestFor('arm64');

describe('parseStatement', () => {
  describe('when given a v0.1 statement as BuildKit writes it', () => {
    it('keeps the raw bytes and reads subject and predicate type', () => {
      const raw = statementBytes(amd64);
      const s = parseStatement(raw);
      expect(s.raw.equals(raw)).toBe(true);
      expect(s.type).toBe('https://in-toto.io/Statement/v0.1');
      expect(s.subjects[0]!.digest['sha256']).toBe(amd64.slice(7));
      expect(s.predicateType).toBe('https://slsa.dev/provenance/v0.2');
      expect(s.predicate).toEqual({ builder: { id: 'x' } });
    });
  });

  describe('when the statement has no predicate and unknown fields', () => {
    it('accepts it (in-toto: unset predicate is empty, unknown fields are ignored)', () => {
      const raw = Buffer.from(
        `{"_type":"${STATEMENT_TYPE_V1}","subject":[{"digest":{"sha256":"${amd64.slice(7)}","gitCommit":"abc"}}],"predicateType":"x","extra":1}`,
      );
      const s = parseStatement(raw);
      expect(s.predicate).toBeUndefined();
      expect(s.subjects[0]!.name).toBeUndefined();
    });
  });

  describe('when the caller mutates its buffer afterwards', () => {
    it('keeps its own copy of the raw bytes', () => {
      const raw = statementBytes(amd64);
      const s = parseStatement(raw);
      raw[0] = 0x20;
      expect(s.raw[0]).toBe(0x7b);
    });
  });

  describe('when several fields are bad', () => {
    it('reports every one of them in one STMT_ error', () => {
      const raw = Buffer.from(
        `{"_type":"https://in-toto.io/Statement/v2","subject":[{"name":3,"digest":{"sha256":"ABC"}}, 7],"predicateType":"","predicate":[]}`,
      );
      let err: AttestError | undefined;
      try {
        parseStatement(raw);
      } catch (e) {
        err = e as AttestError;
      }
      expect(err?.code).toBe('STMT_TYPE_UNSUPPORTED');
      for (const path of [
        '$._type',
        '$.subject[0].name',
        '$.subject[0].digest."sha256"',
        '$.subject[1]',
        '$.predicateType',
        '$.predicate',
      ]) {
        expect(err!.message).toContain(path);
      }
    });
  });

  describe('when a digest algorithm is named like an Object.prototype member', () => {
    it('keeps it as plain data', () => {
      const raw = Buffer.from(
        `{"_type":"${STATEMENT_TYPE_V1}","subject":[{"digest":{"__proto__":"x","constructor":"y","sha256":"${amd64.slice(7)}"}}],"predicateType":"x"}`,
      );
      const d = parseStatement(raw).subjects[0]!.digest;
      expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
      expect(Object.keys(d)).toEqual(['__proto__', 'constructor', 'sha256']);
    });
  });

  describe('when the subject list is empty', () => {
    it('throws STMT_MALFORMED', () =>
      expectCode(
        () => parseStatement(Buffer.from(`{"_type":"${STATEMENT_TYPE_V1}","subject":[],"predicateType":"x"}`)),
        'STMT_MALFORMED',
      ));
  });

  describe('when a subject has no digest', () => {
    it('throws STMT_MALFORMED', () =>
      expectCode(
        () =>
          parseStatement(Buffer.from(`{"_type":"${STATEMENT_TYPE_V1}","subject":[{"name":"a"}],"predicateType":"x"}`)),
        'STMT_MALFORMED',
      ));
  });

  describe('when the bytes are not UTF-8', () => {
    it('throws STMT_MALFORMED', () =>
      expectCode(() => parseStatement(Buffer.from([0x7b, 0xff, 0x7d])), 'STMT_MALFORMED'));
  });

  describe('when the statement starts with a byte-order mark', () => {
    it('throws STMT_MALFORMED', () =>
      expectCode(
        () => parseStatement(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), statementBytes(amd64)])),
        'STMT_MALFORMED',
      ));
  });

  describe('when the statement is a JSON array', () => {
    it('throws STMT_MALFORMED', () => expectCode(() => parseStatement(Buffer.from('[]')), 'STMT_MALFORMED'));
  });

  describe('when the statement exceeds MAX_STATEMENT_BYTES', () => {
    it('throws STMT_TOO_LARGE before parsing', () =>
      expectCode(() => parseStatement(Buffer.alloc(MAX_STATEMENT_BYTES + 1, 0x20)), 'STMT_TOO_LARGE'));
  });
});

describe('subjectMatches', () => {
  const s = parseStatement(statementBytes(amd64));
  describe('when a subject has the digest', () => {
    it('returns true', () => expect(subjectMatches(s, amd64)).toBe(true));
  });
  describe('when no subject has it', () => {
    it('returns false', () => expect(subjectMatches(s, arm64)).toBe(false));
  });
});

describe('requireSubject', () => {
  describe('when no subject has the digest', () => {
    it('throws STMT_SUBJECT_MISMATCH', () =>
      expectCode(() => requireSubject(parseStatement(statementBytes(amd64)), arm64), 'STMT_SUBJECT_MISMATCH'));
  });
});

describe('artifactKind', () => {
  it.each([
    ['https://spdx.dev/Document', 'spdx'],
    ['https://spdx.dev/Document/v2.3', 'spdx'],
    ['https://cyclonedx.org/bom', 'cyclonedx'],
    ['https://cyclonedx.org/bom/v1.5', 'cyclonedx'],
    ['https://slsa.dev/provenance/v0.2', 'provenance'],
    ['https://slsa.dev/provenance/v1', 'provenance'],
    ['https://slsa.dev/verification_summary/v1', 'verification_summary'],
    ['https://spdx.dev/DocumentX', undefined],
    ['https://example.com/custom/v1', undefined],
    ['https://slsa.dev/provenance', undefined],
  ])('maps %s to %s', (type, kind) => expect(artifactKind(type)).toBe(kind));
});

describe('artifactTypeFor', () => {
  it.each([
    ['https://spdx.dev/Document', 'application/vnd.in-toto.spdx+dsse'],
    ['https://cyclonedx.org/bom', 'application/vnd.in-toto.cyclonedx+dsse'],
    ['https://slsa.dev/provenance/v1', 'application/vnd.in-toto.provenance+dsse'],
    ['https://slsa.dev/verification_summary/v1', 'application/vnd.in-toto.verification_summary+dsse'],
    ['https://example.com/custom/v1', DSSE_MEDIA_TYPE],
  ])('maps %s to %s', (type, mediaType) => expect(artifactTypeFor(type)).toBe(mediaType));

  describe('when the predicate type only looks like a known kind', () => {
    it.each(['https://spdx.dev/DocumentX', 'https://slsa.dev/provenancex/v1', 'http://slsa.dev/provenance/v1', ''])(
      'maps %j to the generic type',
      (type) => expect(artifactTypeFor(type)).toBe(DSSE_MEDIA_TYPE),
    );
  });

  it('returns only types listed in DSSE_ARTIFACT_TYPES', () => {
    for (const t of [
      'https://spdx.dev/Document',
      'https://cyclonedx.org/bom',
      'https://slsa.dev/provenance/v1',
      'https://slsa.dev/verification_summary/v1',
      'x',
    ]) {
      expect(DSSE_ARTIFACT_TYPES).toContain(artifactTypeFor(t));
    }
  });
});

describe('makeStatement', () => {
  describe('when given subjects and a predicate file', () => {
    it('embeds the predicate bytes verbatim and parses back', () => {
      const predicate = Buffer.from('\n  {"spdxVersion": "SPDX-2.3",\n   "name": "a"}  \n');
      const raw = makeStatement(
        [
          { name: 'img', digest: amd64 },
          { name: 'img', digest: arm64 },
        ],
        'https://spdx.dev/Document',
        predicate,
      );
      expect(raw.toString()).toBe(
        `{"_type":"${STATEMENT_TYPE_V1}","subject":[{"name":"img","digest":{"sha256":"${amd64.slice(7)}"}},` +
          `{"name":"img","digest":{"sha256":"${arm64.slice(7)}"}}],"predicateType":"https://spdx.dev/Document",` +
          `"predicate":{"spdxVersion": "SPDX-2.3",\n   "name": "a"}}`,
      );
      const s = parseStatement(raw);
      expect(subjectMatches(s, arm64)).toBe(true);
    });
  });

  describe('when the predicate is not a JSON object', () => {
    it('throws STMT_MALFORMED', () =>
      expectCode(() => makeStatement([{ name: 'a', digest: amd64 }], 'x', Buffer.from('[1]')), 'STMT_MALFORMED'));
  });

  describe('when the predicate is two JSON documents', () => {
    it('throws STMT_MALFORMED', () =>
      expectCode(() => makeStatement([{ name: 'a', digest: amd64 }], 'x', Buffer.from('{}{}')), 'STMT_MALFORMED'));
  });

  describe('when a subject digest is not sha256', () => {
    it('throws STMT_MALFORMED', () =>
      expectCode(
        () => makeStatement([{ name: 'a', digest: 'sha512:00' as never }], 'x', Buffer.from('{}')),
        'STMT_MALFORMED',
      ));
  });

  describe('when there are no subjects', () => {
    it('throws STMT_MALFORMED', () => expectCode(() => makeStatement([], 'x', Buffer.from('{}')), 'STMT_MALFORMED'));
  });
});
