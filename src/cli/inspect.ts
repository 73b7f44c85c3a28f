/**
 * `opk-attest inspect IMAGE | REPOSITORY [--tags GLOB] [--all] [--platform P] [--json] …`: like
 * `docker trust inspect`. The library's `inspectImage` reads one image, `inspectRepository` every
 * tag of a repository (a reference without tag or digest); this file only parses arguments and
 * prints the report (text from inspect-render.ts, or `--json`).
 */
import { OpkError } from '../core/errors.js';
import { parsePlatformFilter, parseReference } from '../oci/index.js';
import { inspectImage, inspectRepository, type RepositoryReport } from '../verify/index.js';
import { runCommand } from './args.js';
import { DEFAULT_VERIFY_BUDGET_MS } from '../core/deadline.js';
import { formatError, UsageError } from './errors.js';
import { renderImage, renderRepository } from './inspect-render.js';
import { deadlineFromFlag, TIMEOUT_OPTION, timeoutUsage } from './timeout-option.js';
import { printable } from './terminal-text.js';

const USAGE = `usage: opk-attest inspect IMAGE [options]
       opk-attest inspect REPOSITORY [--tags GLOB] [--all] [options]

IMAGE (name:tag or name@digest): per platform, the manifest digest, its BuildKit attestations
(signed or not) and the signed artifacts attached to it as OCI referrers, with their signers.
REPOSITORY (a name without tag or digest, e.g. ghcr.io/acme/app): every tag with its digest and
who signed what on it (signed, partly signed, unsigned), read from the registry's tag list.
Signers are read from the signatures' annotations, unverified; "opk-attest verify" checks them.
Exit status: 0 shown, 1 the image or a tag could not be read (or the time ran out), 2 usage error.

options:
  --tags GLOB                    REPOSITORY: only tags matching GLOB (* is any run of characters),
                                 e.g. 'v1.*'
  --all                          REPOSITORY: also the referrers fallback tags (sha256-…), hidden
                                 by default
  --platform OS/ARCH[/VARIANT]   only this platform, e.g. linux/arm64
  --json                         print one JSON object instead of text
  --insecure-registry HOST       reach HOST over plain http (repeatable; loopback always is)
  --referrers-repository REPO    signatures live in this repository of the same registry
${timeoutUsage(DEFAULT_VERIFY_BUDGET_MS, 33)}                                 (a REPOSITORY's tags left when it runs out are shown as skipped)
  -h, --help                     show this help
`;

const SPEC = {
  name: 'inspect',
  usage: USAGE,
  positionals: { min: 1, max: 1 },
  options: {
    platform: { type: 'string' },
    json: { type: 'boolean' },
    'insecure-registry': { type: 'string', multiple: true },
    'referrers-repository': { type: 'string' },
    tags: { type: 'string' },
    all: { type: 'boolean' },
    ...TIMEOUT_OPTION,
  },
} as const;

/**
 * Runs `opk-attest inspect`.
 * @param argv - the arguments after `inspect`
 * @returns 0 when shown; 1 when the image, the repository or one of its tags cannot be read, or
 *   the time budget ran out before every tag was inspected; 2 on a usage error
 * @throws never for OpkErrors (printed, exit 1); unexpected errors propagate to the dispatcher
 */
export function inspectCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values, positionals }) => {
    if (values.platform !== undefined) {
      try {
        parsePlatformFilter(values.platform);
      } catch (err) {
        throw new UsageError((err as Error).message, err);
      }
    }
    const deadline = deadlineFromFlag(values.timeout, DEFAULT_VERIFY_BUDGET_MS);
    const target = positionals[0]!;
    const common = {
      ...(values.platform === undefined ? {} : { platform: values.platform }),
      ...(values['referrers-repository'] === undefined ? {} : { referrersRepository: values['referrers-repository'] }),
      registry: { insecureRegistries: values['insecure-registry'] ?? [], deadline },
    };
    try {
      if (isRepository(target)) {
        const report = await inspectRepository({
          repository: target,
          ...common,
          ...(values.tags === undefined ? {} : { tags: values.tags }),
          ...(values.all ? { all: true } : {}),
        });
        process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderRepository(report));
        return complete(report) ? 0 : 1;
      }
      if (values.tags !== undefined || values.all) {
        throw new UsageError(`--tags and --all list a REPOSITORY's tags; ${target} names a tag or digest`);
      }
      const report = await inspectImage({ image: target, ...common });
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderImage(report));
      return 0;
    } catch (err) {
      if (!(err instanceof OpkError) || err instanceof UsageError) throw err;
      process.stderr.write(`opk-attest inspect: ${printable(formatError(err))}\n`);
      return 1;
    }
  });
}

/** A reference without tag and digest names a repository; an unparseable one is left to the image path to report. */
function isRepository(target: string): boolean {
  try {
    const ref = parseReference(target);
    return ref.tag === undefined && ref.digest === undefined;
  } catch {
    // inspectImage parses it again and reports OCI_REFERENCE_INVALID (exit 1), as before.
    return false;
  }
}

/** Every tag shown was read. */
function complete(r: RepositoryReport): boolean {
  return r.tags.every((t) => t.status !== 'error' && t.status !== 'skipped');
}
