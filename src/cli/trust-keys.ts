/**
 * `opk-attest trust key generate|rotate ROLE`, `trust delegate` and `trust undelegate`: the keys of
 * the TUF roles and the delegation of image scopes to other key holders.
 */
import { readFile } from 'node:fs/promises';
import {
  delegateScope,
  generateRoleKey,
  parsePublicKeyFile,
  removeDelegation,
  rotateRoleKey,
  type KeyChange,
} from '../policy/index.js';
import { integer, required, runCommand, UsageError } from './args.js';
import {
  DIR_OPTIONS,
  DIR_USAGE,
  dirOf,
  dispatch,
  EXPIRY_OPTIONS,
  EXPIRY_USAGE,
  say,
  signingOptions,
  STAGED_NOTE,
} from './trust-dir.js';

const KEY_USAGE = `usage: opk-attest trust key <generate|rotate> ROLE [options]

ROLE is root, targets, snapshot, timestamp or a delegated role name.
  generate ROLE   add a key to ROLE (published at once); for a name that is not a role yet, make
                  the key pair of a future delegation and write its public key file
                  DIR/keys/ROLE.pub.json for "trust delegate --key"
  rotate ROLE     replace ROLE's keys with a new key and publish; the old private keys are deleted.
                  Rotating root writes root N+1 signed by the old and the new root keys, which
                  clients holding an older root follow. Publishes whatever else is staged too.
New private keys are encrypted with the passphrase.

options:
${DIR_USAGE}${EXPIRY_USAGE}`;

const DELEGATE_USAGE = `usage: opk-attest trust delegate --scope GLOB --key FILE… [--role NAME] [--threshold N] [options]

Delegates the image scope GLOB (e.g. ghcr.io/acme/**) to a role holding the key(s) in FILE (public
key files from "trust key generate NAME"). The role's policy fragment (edit it with --role NAME
on signer, threshold, require and revoke) may only hold rules within GLOB; its rules come before
the top-level rules. The role's private key must be in DIR/keys when its fragment is published.
Staged: run "trust publish".

options:
  --role NAME                the role's name (default: the name in the key file)
  --threshold N              signatures the role's metadata needs (default 1)
${DIR_USAGE}`;

const UNDELEGATE_USAGE = `usage: opk-attest trust undelegate ROLE [options]

Withdraws a delegation and its policy fragment (staged: run "trust publish").

options:
${DIR_USAGE}`;

const KEY = {
  positionals: { min: 1, max: 1 },
  options: { ...DIR_OPTIONS, ...EXPIRY_OPTIONS },
  usage: KEY_USAGE,
} as const;
const DELEGATE = {
  name: 'trust delegate',
  usage: DELEGATE_USAGE,
  options: {
    ...DIR_OPTIONS,
    scope: { type: 'string' },
    key: { type: 'string', multiple: true },
    role: { type: 'string' },
    threshold: { type: 'string' },
  },
} as const;
const UNDELEGATE = {
  name: 'trust undelegate',
  usage: UNDELEGATE_USAGE,
  positionals: { min: 1, max: 1 },
  options: { ...DIR_OPTIONS },
} as const;
const MAX_PUBLIC_KEY_BYTES = 16 * 1024;

/** Runs `trust key …`. */
export function keyCommand(argv: string[]): Promise<number> {
  return dispatch(
    'trust key',
    KEY_USAGE,
    {
      generate: (rest) => keyChange('generate', rest),
      rotate: (rest) => keyChange('rotate', rest),
    },
    argv,
  );
}

function keyChange(kind: 'generate' | 'rotate', argv: string[]): Promise<number> {
  return runCommand({ ...KEY, name: `trust key ${kind}` }, argv, async ({ values: v, positionals }) => {
    const role = positionals[0]!;
    const change = kind === 'generate' ? generateRoleKey : rotateRoleKey;
    say(...describeChange(role, await change(dirOf(v), role, signingOptions(v))));
    return 0;
  });
}

function describeChange(role: string, c: KeyChange): string[] {
  if (c.publicKeyFile)
    return [
      `new key ${c.keyid} for delegation ${role}`,
      `public key file: ${c.publicKeyFile} (pass it to "trust delegate --key")`,
    ];
  const p = c.published!;
  return [
    `role ${role} now signs with key ${c.keyid}${c.removed.length ? `; removed ${c.removed.join(', ')}` : ''}`,
    `published: root v${p.rootVersion}, snapshot v${p.snapshotVersion}, timestamp v${p.timestampVersion}`,
  ];
}

/** Runs `trust delegate`. */
export function delegateCommand(argv: string[]): Promise<number> {
  return runCommand(DELEGATE, argv, async ({ values: v }) => {
    const scope = required(v.scope, '--scope');
    if (!v.key?.length) throw new UsageError('missing --key');
    const files = await Promise.all(v.key.map(async (f) => parsePublicKeyFile(await readKeyFile(f), f)));
    const names = [...new Set(files.map((f) => f.role))];
    if (v.role === undefined && names.length !== 1)
      throw new UsageError('the key files name different roles; give --role NAME');
    const role = v.role ?? names[0]!;
    const threshold = v.threshold === undefined ? 1 : integer(v.threshold, '--threshold', 1);
    await delegateScope(dirOf(v), { role, scope, keys: files.map((f) => f.key), threshold });
    say(`scope ${scope} delegated to role ${role} (${files.length} key(s), threshold ${threshold}); ${STAGED_NOTE}`);
    return 0;
  });
}

/** Runs `trust undelegate`. */
export function undelegateCommand(argv: string[]): Promise<number> {
  return runCommand(UNDELEGATE, argv, async ({ values: v, positionals }) => {
    await removeDelegation(dirOf(v), positionals[0]!);
    say(`delegation ${positionals[0]} withdrawn; ${STAGED_NOTE}`);
    return 0;
  });
}

async function readKeyFile(file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new UsageError(`--key file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
  if (bytes.length > MAX_PUBLIC_KEY_BYTES)
    throw new UsageError(`--key file is larger than ${MAX_PUBLIC_KEY_BYTES} bytes; it is not a public key file`);
  return bytes;
}
