/**
 * Verifying several images in one call (`verify IMG…`, `verify --file LIST`, the bases of a
 * Dockerfile): concurrently with a bound, one line per image naming it, and the worst outcome
 * as the exit status (see docs/consumer.md).
 */
import { readFile } from 'node:fs/promises';
import { OpkError } from '../core/errors.js';
import { mapLimit } from '../core/map-limit.js';
import { reportJson, verifyImage, type VerifyImageOptions, type VerifyReport } from '../verify/index.js';
import { UsageError } from './args.js';
import { formatError } from './errors.js';

/** Images verified at once: enough to hide registry latency, few enough not to hammer a registry. */
export const VERIFY_CONCURRENCY = 4;
/** References accepted from one `--file`. */
const MAX_LIST_IMAGES = 10_000;

/** One image to verify, and optionally only some platforms of it. */
export interface VerifyJob {
  image: string;
  platforms?: readonly string[];
}

/** The outcome for one image: its report, or the error that stopped it. */
export type VerifyOutcome = { image: string; report: VerifyReport } | { image: string; error: unknown };

/**
 * Verifies every job (its platforms replace `common.platforms`), at most VERIFY_CONCURRENCY at a time; an image that cannot be read is an
 * outcome (with its error), never an exception, so one bad image does not hide the others.
 * @throws never for one image's failure
 */
export function verifyAll(
  jobs: readonly VerifyJob[],
  common: Omit<VerifyImageOptions, 'image'>,
): Promise<VerifyOutcome[]> {
  return mapLimit(jobs, VERIFY_CONCURRENCY, async (job): Promise<VerifyOutcome> => {
    try {
      const report = await verifyImage({
        ...common,
        image: job.image,
        ...(job.platforms?.length ? { platforms: job.platforms } : {}),
      });
      return { image: job.image, report };
    } catch (err) {
      // Only our coded errors are an image's outcome; anything else is a bug and propagates.
      if (!(err instanceof OpkError)) throw err;
      return { image: job.image, error: err };
    }
  });
}

/** Whether an outcome passed (an audit-level report with violations passes). */
export function passedOutcome(o: VerifyOutcome): boolean {
  return 'report' in o && o.report.passed;
}

/**
 * One line for an outcome: `PASS|FAIL  IMAGE  DIGEST  what`, ending with the policy rule (scope)
 * that applied.
 * @throws never
 */
export function outcomeLine(o: VerifyOutcome): string {
  if ('error' in o) return `FAIL  ${o.image}  ${formatError(o.error)}`;
  const r = o.report;
  const rule = r.rule === undefined ? '' : `; rule ${r.rule}`;
  const signers = [...new Set(r.platforms.flatMap((p) => p.verdict?.signers ?? []))];
  const failing = r.platforms.filter((p) => !p.passed);
  if (r.passed && failing.length === 0) {
    return `PASS  ${r.image}  ${r.digest}  ${r.platforms.length} platform(s), signed by ${signers.join(', ') || '-'}${rule}`;
  }
  const label = r.passed ? 'PASS (audit)' : 'FAIL';
  return `${label}  ${r.image}  ${r.digest}  ${failing.map((p) => `${p.platform}: ${reasonOf(p)}`).join('; ') || 'no platforms'}${rule}`;
}

function reasonOf(p: VerifyReport['platforms'][number]): string {
  if (!p.verdict) return 'no policy rule matches this image';
  if (p.verdict.violations.length > 0) return p.verdict.violations.join(', ');
  if (p.signatures.length === 0 && p.rejected.length === 0) return 'no signatures found';
  return p.rejected.map((x) => x.code).join(', ') || 'not verified';
}

/**
 * The JSON of an outcome: the report as `verify --json` prints it, or `{image, passed: false, error}`.
 * @throws never
 */
export function outcomeJson(o: VerifyOutcome): unknown {
  if ('report' in o) return JSON.parse(reportJson(o.report));
  const code = o.error instanceof OpkError ? o.error.code : 'ERROR';
  return { image: o.image, passed: false, error: { code, message: (o.error as Error).message } };
}

/**
 * Reads a list of references: one a line, blank lines and `#` comments skipped; `-` is stdin.
 * @throws UsageError CLI_USAGE when it cannot be read or lists too many
 */
export async function readImageList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--file ${file} cannot be read`, err);
  }
  const images = text
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '');
  if (images.length > MAX_LIST_IMAGES) throw new UsageError(`--file lists more than ${MAX_LIST_IMAGES} images`);
  return images;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
