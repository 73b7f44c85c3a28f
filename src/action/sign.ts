/** The sign action: reads inputs, calls the library, sets outputs. Filled in by the signing issue. */
import * as core from '@actions/core';

export async function runSignAction(): Promise<void> {
  core.setFailed('opk-attest: signing is not implemented yet in this build');
}
