/**
 * The one error base of the project. Every part defines its own subclasses in its own
 * `errors.ts`, with a union of codes prefixed by the part (`PKT_`, `DSSE_`, `OCI_`, …).
 * Messages are one line: the thing, what is wrong, and the fix. They never carry secrets.
 */
export class OpkError<Code extends string = string> extends Error {
  /** Machine-readable reason; tests and the CLI branch on it, never on the message. */
  readonly code: Code;

  constructor(opts: { code: Code; message: string; cause?: unknown }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.name = new.target.name;
  }
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
  | 'CORE_JSON_INVALID';

/** Thrown by the primitives in `src/core` (encodings, digests, Merkle proofs, bounded HTTP). */
export class CoreError extends OpkError<CoreErrorCode> {}
