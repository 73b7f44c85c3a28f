/** `opk-attest trust tlog add|remove`: the transparency-log public keys verifiers trust. */
import { readFile } from 'node:fs/promises';
import { stageLogKey, unstageLogKey } from '../policy/index.js';
import { runCommand, UsageError } from './args.js';
import { DIR_OPTIONS, DIR_USAGE, dirOf, dispatch, say, STAGED_NOTE } from './trust-dir.js';

const USAGE = `usage: opk-attest trust tlog <add FILE | remove LOGID> [options]

  add FILE       trust the log whose public key (PEM, ECDSA P-256, as Rekor serves it at
                 /api/v1/log/publicKey) is in FILE; published as tlog/<logID>.pem
  remove LOGID   stop trusting a log (its 64-hex-character log ID)

options:
${DIR_USAGE}`;

const MAX_PEM_BYTES = 16 * 1024;
const ADD = {
  name: 'trust tlog add',
  usage: USAGE,
  positionals: { min: 1, max: 1 },
  options: { ...DIR_OPTIONS },
} as const;
const REMOVE = {
  name: 'trust tlog remove',
  usage: USAGE,
  positionals: { min: 1, max: 1 },
  options: { ...DIR_OPTIONS },
} as const;

/** Runs `trust tlog …`. */
export function tlogCommand(argv: string[]): Promise<number> {
  return dispatch('trust tlog', USAGE, { add, remove }, argv);
}

function add(argv: string[]): Promise<number> {
  return runCommand(ADD, argv, async ({ values: v, positionals }) => {
    let pem: Buffer;
    try {
      pem = await readFile(positionals[0]!);
    } catch (err) {
      throw new UsageError(`FILE cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
    }
    if (pem.length > MAX_PEM_BYTES)
      throw new UsageError(`FILE is larger than ${MAX_PEM_BYTES} bytes; it is not a PEM public key`);
    const logId = await stageLogKey(dirOf(v), pem.toString('utf8'));
    say(`log ${logId} trusted; ${STAGED_NOTE}`);
    return 0;
  });
}

function remove(argv: string[]): Promise<number> {
  return runCommand(REMOVE, argv, async ({ values: v, positionals }) => {
    const logId = positionals[0]!;
    if (!(await unstageLogKey(dirOf(v), logId)))
      throw new UsageError('LOGID is not a staged log key; see "opk-attest trust inspect"');
    say(`log ${logId} removed; ${STAGED_NOTE}`);
    return 0;
  });
}
