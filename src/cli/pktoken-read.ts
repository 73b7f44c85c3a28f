/**
 * Reading the PK token commands' input files (or stdin for `-`) with a byte cap: counted while
 * reading, an error past the cap, never a silent truncation. A file that cannot be opened is a
 * usage error (exit 2): the user named the wrong path.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { MAX_JWKS_BYTES, MAX_PK_TOKEN_BYTES } from '../core/limits.js';
import { parseJwks, PkTokenError, type Jwks } from '../identity/index.js';
import { UsageError } from './args.js';

/**
 * Reads a PK token file (`-`: stdin). Trailing whitespace is dropped, so a token saved from a
 * terminal with a final newline still parses; the JSON form is otherwise taken byte for byte.
 * @param path - the file, or `-` for stdin
 * @returns the token bytes, for `parsePkToken`/`verifyPkToken`
 * @throws PkTokenError PKT_TOO_LARGE past MAX_PK_TOKEN_BYTES; UsageError CLI_USAGE when unreadable
 */
export async function readTokenFile(path: string): Promise<Buffer> {
  // Room for a line ending beyond the token's own cap.
  const bytes = await readCapped(path, MAX_PK_TOKEN_BYTES + 2, 'PK token');
  let end = bytes.length;
  while (
    end > 0 &&
    (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)
  )
    end--;
  return bytes.subarray(0, end);
}

/**
 * Reads and parses a JWKS file (`-`: stdin).
 * @throws PkTokenError PKT_TOO_LARGE | PKT_JWKS_INVALID; UsageError CLI_USAGE when unreadable
 */
export async function readJwksFile(path: string): Promise<Jwks> {
  return parseJwks(await readCapped(path, MAX_JWKS_BYTES, 'JWKS'), `JWKS file ${path}`);
}

async function readCapped(path: string, maxBytes: number, what: string): Promise<Buffer> {
  const stream: Readable = path === '-' ? process.stdin : createReadStream(path);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      total += buf.length;
      if (total > maxBytes) {
        throw new PkTokenError({
          code: 'PKT_TOO_LARGE',
          message: `${what} file ${path} is over the ${maxBytes}-byte limit; it is not a single ${what}`,
        });
      }
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof PkTokenError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw new UsageError(`cannot read ${what} file ${path} (${code}); check the path`, err);
  } finally {
    if (stream !== process.stdin) stream.destroy();
  }
  return Buffer.concat(chunks);
}
