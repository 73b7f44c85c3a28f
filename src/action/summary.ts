/** The job summary: one table row per envelope signed (and those already signed). */
import * as core from '@actions/core';
import type { SignImagesResult } from '../sign/index.js';
import { DEFAULT_LOG, type ActionInputs } from './inputs.js';

/**
 * Escapes text for a summary cell: `core.summary` inserts cells as raw HTML, and platforms and
 * predicate types come from the registry, so they must not be able to add markup or links.
 */
export function htmlText(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Writes the summary when the runner provides a summary file (not in local runs). */
export async function writeSignSummary(result: SignImagesResult, inputs: ActionInputs): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const logCell = (i?: number) =>
    i === undefined
      ? '-'
      : inputs.transparencyLog === DEFAULT_LOG
        ? `<a href="https://search.sigstore.dev/?logIndex=${i}">${i}</a>`
        : String(i);
  const rows = [
    ...result.signed.map((s) => [
      htmlText(s.image),
      htmlText(s.platform),
      htmlText(s.predicateType),
      `<code>${s.artifactDigest}</code>`,
      logCell(s.logIndex),
      'signed',
    ]),
    ...result.skipped.map((s) => [
      htmlText(s.image),
      htmlText(s.platform),
      htmlText(s.predicateType),
      `<code>${s.artifactDigest}</code>`,
      '-',
      'already signed',
    ]),
  ];
  await core.summary
    .addHeading(`opk-attest: ${result.signed.length} signed, ${result.skipped.length} already signed`, 3)
    .addRaw(
      result.signer
        ? `Signer: ${htmlText(`${result.signer.issuer} — ${result.signer.workflow ?? result.signer.subject}`)}\n\n`
        : '',
    )
    .addRaw(
      result.images.map((i) => `${htmlText(i.image)} → <code>${htmlText(i.pinned)}</code> (${i.kind})\n\n`).join(''),
    )
    .addTable([
      [
        { data: 'image', header: true },
        { data: 'platform', header: true },
        { data: 'predicate', header: true },
        { data: 'artifact', header: true },
        { data: 'log index', header: true },
        { data: 'status', header: true },
      ],
      ...rows,
    ])
    .write();
}
