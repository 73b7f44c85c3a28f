/** Shared primitives: errors, strict encodings, digests, RFC 6962 Merkle trees, bounded HTTP. */
export { OpkError, CoreError } from './errors.js';
export type { CoreErrorCode } from './errors.js';
export * from './b64.js';
export * from './digest.js';
export * from './merkle.js';
export * as limits from './limits.js';
export { httpRequest, readAtMost, parseJsonBody, redactUrl } from './http.js';
export type { HttpOptions, HttpResponse } from './http.js';
export { Deadline, isBudgetExceeded, parseDuration, formatDuration } from './deadline.js';
export type { DeadlineOptions } from './deadline.js';
export { P256PublicKey, P256_SPKI_PREFIX } from './ecdsa-p256.js';
export type { EcdsaEncoding } from './ecdsa-p256.js';
export { isLoopbackHost, isHttpsOrLoopback } from './loopback.js';
