/**
 * The one error base of the project. Every part defines its own subclasses in its own
 * `errors.ts`, with a union of codes prefixed by the part (`PKT_`, `DSSE_`, `OCI_`, …).
 * Messages are one line: the thing, what is wrong, and the fix. They never carry secrets.
 */
export class OpkError<Code extends string = string> extends Error {
  /** Machine-readable reason; tests and the CLI branch on it, never on the message. */
  readonly code: Code;

  /** The message is made one line here: see {@link oneLine}. */
  constructor(opts: { code: Code; message: string; cause?: unknown }) {
    super(oneLine(opts.message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.name = new.target.name;
  }
}

const LINE_BREAKING = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/g;

/**
 * Escapes line breaks and other control characters (`\n` becomes the two characters `\` `n`).
 * Messages quote wire data — a JSON.parse error quotes its input, a reference quotes what was
 * typed — and fuzzing found such quotes breaking the one-line rule (docs/fuzz.md); escaping at
 * the one constructor keeps every message one line on a terminal and in a log.
 */
function oneLine(message: string): string {
  return message.replace(LINE_BREAKING, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Codes of the shared primitives in `src/core`. */
export type CoreErrorCode =
  | 'CORE_BASE64_INVALID'
  | 'CORE_HEX_INVALID'
  | 'CORE_DIGEST_INVALID'
  | 'CORE_TOO_LARGE'
  | 'CORE_MERKLE_INVALID'
  | 'CORE_HTTP_ERROR'
  | 'CORE_HTTP_TIMEOUT'
  | 'CORE_BUDGET_EXCEEDED'
  | 'CORE_BUDGET_INVALID'
  | 'CORE_JSON_INVALID'
  | 'CORE_KEY_INVALID';

/** Thrown by the primitives in `src/core` (encodings, digests, Merkle proofs, P-256 keys, bounded HTTP). */
export class CoreError extends OpkError<CoreErrorCode> {}
