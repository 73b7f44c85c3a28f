/**
 * Untrusted text in a message. A value from the wire or a file (a claim, a field name, a media
 * type) is JSON-quoted, so it stays on one line and cannot pass for our own words, and cut short,
 * so a hostile document cannot flood a log. (Terminals get the stricter `cli/terminal-text`.)
 */

/** Default number of characters a quoted value may take in a message. */
export const MAX_QUOTED_CHARS = 80;

/**
 * An untrusted value for an error message: JSON-quoted and cut to `maxChars` (the cut marked `…`).
 * @param value - anything; strings are quoted, other values JSON-encoded, `undefined` written as such
 * @param maxChars - the longest result (default MAX_QUOTED_CHARS)
 * @throws never
 */
export function quote(value: unknown, maxChars = MAX_QUOTED_CHARS): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    // A BigInt or a cycle cannot be JSON-encoded; its String form still names it.
    text = String(value);
  }
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}
