import { OpkError } from '../../src/core/errors.js';

describe('OpkError', () => {
  describe('when the message quotes text with line breaks or control characters', () => {
    it('escapes them, so the message stays one line', () => {
      const e = new OpkError({ code: 'X_TEST', message: 'bad "a\nb\r\tc\u001b[31m\u2028d\u0085"' });
      expect(e.message).toBe('bad "a\\nb\\r\\tc\\u001b[31m\\u2028d\\u0085"');
      expect(e.message).not.toMatch(/[\u0000-\u001f\u2028\u2029\u0085]/);
    });
  });

  describe('when the message is printable', () => {
    it('keeps it as given, non-ASCII included', () => {
      const message = 'image ghcr.io/acme/app — signature über sha256:ab; re-sign it';
      expect(new OpkError({ code: 'X_TEST', message }).message).toBe(message);
    });
  });
});
