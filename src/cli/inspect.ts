/**
 * `opk-attest inspect IMAGE [--platform os/arch[/variant]] [--json] [--insecure-registry HOST]`:
 * like `docker trust inspect --pretty`. The library's `inspectImage` reads the image; this file
 * only parses arguments and prints the report (tables, or `--json`).
 */
import { OpkError } from '../core/errors.js';
import { parsePlatformFilter } from '../oci/index.js';
import { inspectImage, type AnnotatedSigner, type InspectReport } from '../verify/index.js';
import { runCommand } from './args.js';
import { DEFAULT_VERIFY_BUDGET_MS } from '../core/deadline.js';
import { formatError, UsageError } from './errors.js';
import { deadlineFromFlag, TIMEOUT_OPTION, timeoutUsage } from './timeout-option.js';
import { printable } from './terminal-text.js';

const USAGE = `usage: opk-attest inspect IMAGE [options]

Shows, per platform of IMAGE, the manifest digest, its BuildKit attestations (signed or not)
and the signed artifacts attached to it as OCI referrers, with their signers.

options:
  --platform OS/ARCH[/VARIANT]   only this platform, e.g. linux/arm64
  --json                         print one JSON object instead of tables
  --insecure-registry HOST       reach HOST over plain http (repeatable; loopback always is)
  --referrers-repository REPO    signatures live in this repository of the same registry
${timeoutUsage(DEFAULT_VERIFY_BUDGET_MS, 33)}  -h, --help                     show this help
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
    ...TIMEOUT_OPTION,
  },
} as const;

interface Options {
  image: string;
  platform?: string;
  json: boolean;
  insecureRegistries: string[];
  referrersRepository?: string;
}

/**
 * Runs `opk-attest inspect`.
 * @param argv - the arguments after `inspect`
 * @returns 0 when shown, 1 when the image cannot be read (not found, registry error), 2 on a usage error
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
    const o: Options = {
      image: positionals[0]!,
      json: values.json ?? false,
      insecureRegistries: values['insecure-registry'] ?? [],
      ...(values.platform === undefined ? {} : { platform: values.platform }),
      ...(values['referrers-repository'] === undefined ? {} : { referrersRepository: values['referrers-repository'] }),
    };
    try {
      const report = await inspectImage({
        image: o.image,
        registry: { insecureRegistries: o.insecureRegistries, deadline },
        ...(o.platform === undefined ? {} : { platform: o.platform }),
        ...(o.referrersRepository === undefined ? {} : { referrersRepository: o.referrersRepository }),
      });
      process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
      return 0;
    } catch (err) {
      if (!(err instanceof OpkError)) throw err;
      process.stderr.write(`opk-attest inspect: ${printable(formatError(err))}\n`);
      return 1;
    }
  });
}

/** The human form: one block per platform, two tables each. */
function render(r: InspectReport): string {
  const out = [`Attestations and signatures for ${printable(r.image)}`, `Image digest: ${r.digest}`, ''];
  for (const p of r.platforms) {
    out.push(`Platform ${printable(p.platform)}  ${p.digest}`);
    out.push(
      ...(p.attestations.length === 0
        ? ['  No attestations.']
        : table(
            ['PREDICATE TYPE', 'STATEMENT DIGEST', 'STATUS'],
            p.attestations.map((a) => [
              printable(a.predicateType ?? 'unknown'),
              a.digest,
              a.signed ? 'signed' : 'unsigned',
            ]),
          )),
    );
    out.push('');
    out.push(
      ...(p.signatures.length === 0
        ? ['  No signed artifacts.']
        : table(
            ['SIGNED ARTIFACT', 'ARTIFACT TYPE', 'PREDICATE TYPE', 'SIGNER'],
            p.signatures.map((s) => [
              s.artifactDigest,
              printable(s.artifactType ?? '-'),
              printable(s.predicateType ?? '-'),
              signerText(s.signer),
            ]),
          )),
    );
    out.push('');
  }
  for (const n of r.notes) out.push(`Note: ${printable(n)}`);
  return `${out.join('\n').trimEnd()}\n`;
}

function signerText(s: AnnotatedSigner): string {
  const who = s.subject ?? 'unknown signer';
  const parts = [who, s.issuer && `(${s.issuer})`, s.repository, s.workflow].filter((x): x is string => Boolean(x));
  return printable(parts.join(' '));
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ')}`;
  return [line(header), ...rows.map(line)];
}
