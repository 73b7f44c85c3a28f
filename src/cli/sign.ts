/**
 * `opk-attest sign IMAGE…`: the action's signing run from a terminal or any CI: one PK token
 * for every statement of the given images, logged and attached as referrers.
 */
import { readFile } from 'node:fs/promises';
import { signImages, type SignImagesResult } from '../sign/index.js';
import { runCommand, UsageError } from './args.js';
import { DEFAULT_SIGN_BUDGET_MS } from '../core/deadline.js';
import { announcingProvider, PROVIDER_OPTIONS, PROVIDER_USAGE, providerFromFlags } from './provider-options.js';
import { printable } from './terminal-text.js';
import { deadlineFromFlag, TIMEOUT_OPTION, timeoutUsage } from './timeout-option.js';

const USAGE = `usage: opk-attest sign IMAGE... [options]

Signs every SBOM and provenance statement of each IMAGE (name@digest or name:tag) with one
OpenPubkey PK token, records the signatures in the transparency log and attaches them as OCI
referrers. The images' digests and tags never change. Statements already signed by the same
identity (issuer, sub and workflow of the token) are not signed again unless --force; another
identity signs beside them. When the identity is not known before the token (file and
client-credentials providers, or outside a GitHub workflow), the token is requested first.
A tag is resolved once; the output names the index (or manifest) digest that was signed, and
every line names its image.

options:
${PROVIDER_USAGE}  --platform OS/ARCH         only this platform; repeatable
  --sbom FILE                also sign this SPDX or CycloneDX JSON document for every platform
  --predicate-type URI       with --predicate: sign FILE as a predicate of this type
  --predicate FILE
  --transparency-log URL|false
                             Rekor URL (default https://rekor.sigstore.dev); false: do not log
  --referrers-repository R   store signatures in repository R of the same registry
  --insecure-registry HOST   speak plain http to HOST; repeatable
  --force                    sign statements this identity already signed
  --json                     print the result as JSON: images (each with the digest its reference
                             resolved to and signed, and its platforms), signed and already signed
                             statements (image, platform, subject, artifact digest, log index), signer
${timeoutUsage(DEFAULT_SIGN_BUDGET_MS)}`;

const SPEC = {
  name: 'sign',
  usage: USAGE,
  positionals: { min: 1, max: 1000 },
  options: {
    ...PROVIDER_OPTIONS,
    ...TIMEOUT_OPTION,
    platform: { type: 'string', multiple: true },
    sbom: { type: 'string' },
    'predicate-type': { type: 'string' },
    predicate: { type: 'string' },
    'transparency-log': { type: 'string' },
    'referrers-repository': { type: 'string' },
    'insecure-registry': { type: 'string', multiple: true },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
} as const;

/** Runs `sign`. */
export function signCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values: v, positionals }) => {
    if (Boolean(v['predicate-type']) !== Boolean(v.predicate))
      throw new UsageError('--predicate-type and --predicate go together');
    const deadline = deadlineFromFlag(v.timeout, DEFAULT_SIGN_BUDGET_MS);
    const provider = announcingProvider(providerFromFlags(v, { deadline }), SPEC.name, v['token-file']);
    const result = await signImages({
      images: positionals,
      provider,
      ...(v.platform ? { platforms: v.platform } : {}),
      extra: {
        ...(v.sbom ? { sbom: await readInput(v.sbom, '--sbom') } : {}),
        ...(v.predicate
          ? { predicate: { type: v['predicate-type']!, bytes: await readInput(v.predicate, '--predicate') } }
          : {}),
      },
      transparencyLog:
        v['transparency-log'] === 'false' ? false : (v['transparency-log'] ?? 'https://rekor.sigstore.dev'),
      ...(v['referrers-repository'] ? { referrersRepository: v['referrers-repository'] } : {}),
      registry: { insecureRegistries: v['insecure-registry'] ?? [] },
      force: v.force ?? false,
      deadline,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(v.json ? `${JSON.stringify(result, null, 2)}\n` : printable(resultText(result)));
    return 0;
  });
}

/** One line per image (what its reference resolved to) and per statement, each naming its image. */
function resultText(r: SignImagesResult): string {
  const lines = [
    ...r.images.map((i) => `image  ${i.image}  ${i.kind} ${i.digest}  ${i.platforms.join(',')}`),
    ...r.signed.map(
      (s) => `signed  ${s.image}  ${s.platform}  ${s.predicateType}  ${s.artifactDigest}  log ${s.logIndex ?? '-'}`,
    ),
    ...r.skipped.map((s) => `already signed  ${s.image}  ${s.platform}  ${s.predicateType}  ${s.artifactDigest}`),
  ];
  return lines.map((l) => `${l}\n`).join('');
}

async function readInput(path: string, option: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${option} ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
}
