/**
 * @sigstore/oci 0.6 requires `promise-retry` without declaring it: make-fetch-happen ≤ 14 brought
 * it along, 15 does not, and node_modules holds only its successor, @gar/promise-retry (the same
 * function, exported by name). The peer's process resolves `promise-retry` to a one-line adapter
 * (promise-retry.cjs) before loading @sigstore/oci; nothing else is changed.
 */
import Module from 'node:module';
import path from 'node:path';

type Resolve = (request: string, ...rest: unknown[]) => string;

/** Makes `require('promise-retry')` load bench/peer/promise-retry.cjs in this process. */
export function resolvePromiseRetry(): void {
  const m = Module as unknown as { _resolveFilename: Resolve };
  const original = m._resolveFilename;
  const adapter = path.resolve('bench/peer/promise-retry.cjs');
  m._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return original.call(this, request === 'promise-retry' ? adapter : request, ...rest);
  };
}
