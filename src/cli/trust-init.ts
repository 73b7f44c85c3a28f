/** `opk-attest trust init DIR`: a new trust directory, its keys and a first (empty) publish. */
import { initRepository, MIN_PASSPHRASE_LENGTH } from '../policy/index.js';
import { runCommand } from './args.js';
import { EXPIRY_OPTIONS, EXPIRY_USAGE, PASSPHRASE_ENV, say, signingOptions } from './trust-dir.js';

const USAGE = `usage: opk-attest trust init DIR [options]

Creates a trust directory: one Ed25519 key per top-level TUF role (root, targets, snapshot,
timestamp), encrypted with the passphrase in ${PASSPHRASE_ENV} (at least ${MIN_PASSPHRASE_LENGTH} characters),
root version 1, an empty policy (nothing verifies until signers are added) and a first publish.
Hand DIR/repository/1.root.json to verifiers (--tuf-root) and serve DIR/repository/.

options:
${EXPIRY_USAGE}`;

const SPEC = {
  name: 'trust init',
  usage: USAGE,
  positionals: { min: 1, max: 1 },
  options: { ...EXPIRY_OPTIONS },
} as const;

/** Runs `trust init`. */
export function initCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values: v, positionals }) => {
    const dir = positionals[0]!;
    const made = await initRepository(dir, signingOptions(v));
    say(
      `initialised trust directory ${dir}`,
      ...Object.entries(made.keyids).map(([role, id]) => `  ${role.padEnd(9)} key ${id}`),
      `trusted root for verifiers: ${made.rootFile}`,
      'next: "opk-attest trust signer add NAME --scope GLOB --issuer URL --claim repository=OWNER/REPO", then "opk-attest trust publish"',
    );
    return 0;
  });
}
