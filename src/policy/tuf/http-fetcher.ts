/**
 * tuf-js's network access, through `core/http.ts` instead of tuf-js's own fetcher: the same
 * bounded reads, retries and backoff as every other client, and the command's `Deadline`, so a
 * TUF mirror that stalls spends the command's budget like a registry would (docs/faults.md).
 */
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BaseFetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import type { Deadline } from '../../core/deadline.js';
import { httpRequest, redactUrl } from '../../core/http.js';

/** Network settings of the fetcher. */
export interface HttpFetcherOptions {
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  retries?: number;
  /** The command's overall time budget. */
  deadline?: Deadline;
  /** Cap of a plain `fetch` (downloads use tuf-js's per-file maxLength instead). */
  maxBytes: number;
}

/** A tuf-js fetcher over `httpRequest`; non-2xx answers become `DownloadHTTPError` as tuf-js expects. */
export class HttpFetcher extends BaseFetcher {
  readonly #o: HttpFetcherOptions;

  constructor(o: HttpFetcherOptions) {
    super();
    this.#o = o;
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    return Readable.toWeb(Readable.from([await this.#get(url, this.#o.maxBytes)])) as ReadableStream<
      Uint8Array<ArrayBuffer>
    >;
  }

  /** Reads the file under tuf-js's own cap for it (CORE_TOO_LARGE past it), then hands tuf-js a temporary copy. */
  override async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    const bytes = await this.#get(url, maxLength);
    const dir = await mkdtemp(path.join(await realpath(os.tmpdir()), 'opk-tuf-'));
    try {
      const file = path.join(dir, 'download');
      await writeFile(file, bytes);
      return await handler(file);
    } finally {
      await rm(dir, { force: true, recursive: true });
    }
  }

  async #get(url: string, maxBytes: number): Promise<Buffer> {
    const res = await httpRequest(url, {
      maxBytes,
      timeoutMs: this.#o.timeoutMs ?? 30_000,
      attempts: (this.#o.retries ?? 2) + 1,
      headers: { 'user-agent': 'opk-attest' },
      what: `GET ${redactUrl(url)}`,
      ...(this.#o.deadline ? { deadline: this.#o.deadline } : {}),
    });
    if (res.status < 200 || res.status >= 300) throw new DownloadHTTPError('Failed to download', res.status);
    return res.body;
  }
}
