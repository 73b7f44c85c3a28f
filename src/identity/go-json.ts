/**
 * Go's `encoding/json.Marshal` of a `map[string]any`, byte for byte. OpenPubkey hashes this form
 * (the CIC commitment) and jwx emits it for the protected headers it signs (GQ, CIC, OSM), so
 * every header we produce and every commitment we recompute goes through here.
 */

import type { JsonObject, JsonValue } from '../core/guards.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Go escapes these even though JSON does not require it (HTML safety, JavaScript line terminators).
const GO_EXTRA_ESCAPES = /[<>&\u2028\u2029]/g;
const utf8 = new TextEncoder();

/**
 * Serialises a JSON value exactly as Go's `json.Marshal` does for `map[string]any`: object keys
 * sorted by their UTF-8 bytes at every level, no whitespace, `<`, `>`, `&`, U+2028 and U+2029
 * escaped as `\u003c`…, lone surrogates replaced by U+FFFD, numbers as Go formats float64.
 * @param value - a JSON value (strings, finite numbers, booleans, null, arrays, plain objects)
 * @returns the JSON text
 * @throws TypeError when the value holds something JSON cannot carry (a non-finite number, a function)
 */
export function goCanonicalJson(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return goString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return goNumber(value);
    case 'object':
      if (Array.isArray(value)) return `[${value.map(goCanonicalJson).join(',')}]`;
      return goObject(value);
    default:
      throw new TypeError(`goCanonicalJson: cannot encode a value of type ${typeof value}`);
  }
}

function goObject(obj: JsonObject): string {
  const keys = Object.keys(obj).sort(compareUtf8);
  return `{${keys.map((k) => `${goString(k)}:${goCanonicalJson(obj[k] as JsonValue)}`).join(',')}}`;
}

/** Go's `strings.Compare`: byte order of the UTF-8 encodings (UTF-16 order differs above U+FFFF). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(utf8.encode(a), utf8.encode(b));
}

function goString(s: string): string {
  // JSON.stringify already matches Go 1.22+ for quotes, backslashes and control characters
  // (\b \f \n \r \t short forms, others as lowercase \u00xx); Go adds the HTML-safe escapes.
  return JSON.stringify(s.replace(LONE_SURROGATE, '\uFFFD')).replace(
    GO_EXTRA_ESCAPES,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function goNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError('goCanonicalJson: JSON cannot carry a non-finite number');
  // JavaScript and Go both print the shortest round-trip digits and switch to exponent form
  // below 1e-6 and from 1e21 on; they differ only on negative zero, which Go keeps.
  return Object.is(n, -0) ? '-0' : JSON.stringify(n);
}
