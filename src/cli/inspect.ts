/**
 * `opk-attest inspect IMAGE [--platform os/arch[/variant]] [--json] [--insecure-registry HOST]`:
 * like `docker trust inspect --pretty`, shows per platform the manifest digest, its BuildKit
 * attestations (predicate type; signed when a referrer artifact carries the same
 * `in-toto.io/predicate-type`), and the signed artifacts attached as OCI referrers with the
 * signer summary from their annotations. Reads only manifests and referrers lists: no layer
 * pulls, no verification (that is `opk-attest verify`).
 */
import { OpkError } from '../core/errors.js';
import {
  findAttestations,
  parsePlatformFilter,
  type ImageAttestations,
  type PlatformImage,
} from '../oci/attestations.js';
import type { Descriptor } from '../oci/manifest.js';
import {
  ANNOTATION_PREDICATE_TYPE,
  ANNOTATION_SIGNER_ISSUER,
  ANNOTATION_SIGNER_REPOSITORY,
  ANNOTATION_SIGNER_SUBJECT,
  ANNOTATION_SIGNER_WORKFLOW,
} from '../oci/media-types.js';
import { formatReference, parseReference, referenceIdentifier } from '../oci/reference.js';
import { listReferrers } from '../oci/referrers.js';
import { createTransport } from '../oci/transport/client.js';
import type { RegistryTransport } from '../oci/transport/types.js';
import { DSSE_ARTIFACT_TYPES } from '../attest/index.js';
import type { SignerSummary } from '../sign/index.js';
import { runCommand } from './args.js';
import { formatError, UsageError } from './errors.js';
import { printable } from './terminal-text.js';

const USAGE = `usage: opk-attest inspect IMAGE [options]

Shows, per platform of IMAGE, the manifest digest, its BuildKit attestations (signed or not)
and the signed artifacts attached to it as OCI referrers, with their signers.

options:
  --platform OS/ARCH[/VARIANT]   only this platform, e.g. linux/arm64
  --json                         print one JSON object instead of tables
  --insecure-registry HOST       reach HOST over plain http (repeatable; loopback always is)
  --referrers-repository REPO    signatures live in this repository of the same registry
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
  },
} as const;

/** The signer summary a signed artifact carries in its annotations (any field may be missing). */
export type AnnotatedSigner = Partial<SignerSummary>;

/** The `--json` output. */
export interface InspectReport {
  image: string;
  digest: string;
  platforms: Array<{
    platform: string;
    digest: string;
    attestations: Array<{ predicateType: string | null; digest: string; signed: boolean }>;
    signatures: Array<{
      artifactDigest: string;
      artifactType: string | null;
      predicateType: string | null;
      signer: AnnotatedSigner;
    }>;
  }>;
  notes: string[];
}

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
    const o: Options = {
      image: positionals[0]!,
      json: values.json ?? false,
      insecureRegistries: values['insecure-registry'] ?? [],
      ...(values.platform === undefined ? {} : { platform: values.platform }),
      ...(values['referrers-repository'] === undefined ? {} : { referrersRepository: values['referrers-repository'] }),
    };
    try {
      const report = await inspectImage(o);
      process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
      return 0;
    } catch (err) {
      if (!(err instanceof OpkError)) throw err;
      process.stderr.write(`opk-attest inspect: ${printable(formatError(err))}\n`);
      return 1;
    }
  });
}

/** Reads the image and its referrers into the report. */
async function inspectImage(o: Options): Promise<InspectReport> {
  const ref = parseReference(o.image);
  const t = createTransport(ref.registry, { insecureRegistries: o.insecureRegistries });
  try {
    const found = await findAttestations(
      t,
      ref.repository,
      referenceIdentifier(ref),
      o.platform === undefined ? {} : { platform: o.platform },
    );
    const platforms = [];
    for (const p of found.platforms) platforms.push(await platformReport(t, found, p, o.referrersRepository));
    return { image: formatReference(ref), digest: found.descriptor.digest, platforms, notes: found.notes };
  } finally {
    await t.close();
  }
}

async function platformReport(
  t: RegistryTransport,
  found: ImageAttestations,
  p: PlatformImage,
  referrersRepository?: string,
): Promise<InspectReport['platforms'][number]> {
  const list = await listReferrers(
    t,
    found.repository,
    p.descriptor.digest,
    referrersRepository === undefined ? {} : { referrersRepository },
  );
  const signatures = list.referrers.filter(isSignedArtifact).map(signatureOf);
  const signedTypes = new Set(signatures.map((s) => s.predicateType));
  const attestations = p.statements.map((s) => ({
    predicateType: s.predicateType ?? null,
    digest: s.layer.digest,
    signed: s.predicateType !== undefined && signedTypes.has(s.predicateType),
  }));
  return { platform: p.platform, digest: p.descriptor.digest, attestations, signatures };
}

/** Ours by artifactType, or any referrer that names the predicate type it signs. */
function isSignedArtifact(d: Descriptor): boolean {
  return (
    (d.artifactType !== undefined && DSSE_ARTIFACT_TYPES.includes(d.artifactType)) ||
    d.annotations?.[ANNOTATION_PREDICATE_TYPE] !== undefined
  );
}

function signatureOf(d: Descriptor): InspectReport['platforms'][number]['signatures'][number] {
  const a = d.annotations ?? {};
  const signer: AnnotatedSigner = {};
  if (a[ANNOTATION_SIGNER_ISSUER] !== undefined) signer.issuer = a[ANNOTATION_SIGNER_ISSUER];
  if (a[ANNOTATION_SIGNER_SUBJECT] !== undefined) signer.subject = a[ANNOTATION_SIGNER_SUBJECT];
  if (a[ANNOTATION_SIGNER_REPOSITORY] !== undefined) signer.repository = a[ANNOTATION_SIGNER_REPOSITORY];
  if (a[ANNOTATION_SIGNER_WORKFLOW] !== undefined) signer.workflow = a[ANNOTATION_SIGNER_WORKFLOW];
  return {
    artifactDigest: d.digest,
    artifactType: d.artifactType ?? null,
    predicateType: a[ANNOTATION_PREDICATE_TYPE] ?? null,
    signer,
  };
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
