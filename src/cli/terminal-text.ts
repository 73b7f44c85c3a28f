/**
 * Text from the wire (token claims, registry annotations, error messages quoting them) shown on
 * a terminal. Everything is attacker-chosen, so it is printed as plain printable text or escaped:
 * it cannot move the cursor, recolour the screen or reorder what the reader sees.
 */

// JSON.stringify escapes C0 controls, quotes and lone surrogates; these it leaves alone.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** One-line JSON text of a value, safe for a terminal. */
export function safeJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'undefined').replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A string as is when it is printable ASCII without leading/trailing spaces, else as safe JSON. */
export function safeText(value: unknown): string {
  return typeof value === 'string' && /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) ? value : safeJson(value);
}

/** Multi-line text with every control character other than newline replaced by `?`. */
export function printable(s: string): string {
  return s.replace(
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    '?',
  );
}
