/** The CLI run in-process with its output captured, for the tests of its commands. */
import { jest } from '@jest/globals';
import { runCli } from '../../src/cli/run.js';

/** A finished run: exit code and what it printed. */
export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs `opk-attest ARGV…` in-process, capturing stdout and stderr. */
export async function cli(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const o = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return { code: await runCli(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
