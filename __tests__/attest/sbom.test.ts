import { detectSbom } from '../../src/attest/sbom.js';
import { expectCode } from '../helpers.js';

describe('detectSbom', () => {
  describe('when given SPDX JSON', () => {
    it('returns the SPDX predicate type and the bytes unchanged', () => {
      const bytes = Buffer.from('{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x"}\n');
      const d = detectSbom(bytes);
      expect(d).toEqual({ format: 'spdx', predicateType: 'https://spdx.dev/Document', bytes });
    });
  });

  describe('when given CycloneDX JSON', () => {
    it('returns the CycloneDX predicate type', () => {
      expect(detectSbom(Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.5"}')).predicateType).toBe(
        'https://cyclonedx.org/bom',
      );
    });
  });

  describe('when given SPDX tag-value', () => {
    it('throws STMT_SBOM_UNRECOGNISED', () =>
      expectCode(
        () => detectSbom(Buffer.from('SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n')),
        'STMT_SBOM_UNRECOGNISED',
      ));
  });

  describe('when given a JSON document of neither format', () => {
    it('throws STMT_SBOM_UNRECOGNISED', () =>
      expectCode(() => detectSbom(Buffer.from('{"bomFormat":"cyclonedx"}')), 'STMT_SBOM_UNRECOGNISED'));
  });

  describe('when the document claims both formats', () => {
    it('throws STMT_SBOM_UNRECOGNISED', () =>
      expectCode(
        () => detectSbom(Buffer.from('{"bomFormat":"CycloneDX","spdxVersion":"SPDX-2.3"}')),
        'STMT_SBOM_UNRECOGNISED',
      ));
  });

  describe('when the file is not JSON', () => {
    it('throws STMT_SBOM_UNRECOGNISED', () =>
      expectCode(() => detectSbom(Buffer.from('<bom/>')), 'STMT_SBOM_UNRECOGNISED'));
  });
});
