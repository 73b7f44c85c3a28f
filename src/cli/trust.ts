/**
 * `opk-attest trust …`: the docker-trust-like front end over the TUF trust repository
 * (docs/formats.md, "The trust repository"). Each subcommand lives in a `trust-<group>.ts`; this file only dispatches.
 *
 * Staged vs published: content commands (signer, threshold, require, revoke, unrevoke, jwks sync|remove, tlog,
 * delegate, undelegate) only edit `DIR/staged/` and need no passphrase; `publish` signs the staged
 * state into `DIR/repository/`. Key commands (`key generate|rotate`) publish at once, together
 * with whatever is staged.
 */
import { dispatch } from './trust-dir.js';
import { initCommand } from './trust-init.js';
import { inspectTrustCommand } from './trust-inspect.js';
import { jwksCommand } from './trust-jwks.js';
import { delegateCommand, keyCommand, undelegateCommand } from './trust-keys.js';
import { publishCommand } from './trust-publish.js';
import { requireCommand, thresholdCommand } from './trust-rules.js';
import { revokeCommand, unrevokeCommand } from './trust-revoke.js';
import { signerCommand } from './trust-signer.js';
import { tlogCommand } from './trust-tlog.js';
import { trustUseCommand } from './trust-use.js';

const USAGE = `usage: opk-attest trust <subcommand> [options]

Manages a trust policy distributed through TUF: who may sign which images, how many signers,
required predicates, revocations, the archive of OIDC provider keys and transparency-log keys.

subcommands:
  init DIR                          create a trust directory: keys, root, empty policy, first publish
  signer add|remove|list            allowed signers (OIDC issuer + claim patterns) per image scope
  threshold N --scope GLOB          distinct signers required in a scope
  require TYPE… --scope GLOB        predicate types that must be signed in a scope
  revoke DIGEST | --signer NAME | --scope GLOB [--before DATE] [--reason TEXT]
                                    block an image digest, a signer, or a repository/namespace
  unrevoke DIGEST | --signer NAME | --scope GLOB
                                    lift a revocation
  jwks sync [--issuer URL]          archive the providers' current signing keys (never removed)
  jwks remove --issuer URL --kid KID --reason TEXT
                                    distrust a leaked provider key (it stays listed, marked)
  tlog add FILE | tlog remove ID    transparency-log public keys
  delegate --scope GLOB --key FILE  delegate an image scope to another key holder
  undelegate ROLE                   withdraw a delegation
  key generate|rotate ROLE          add or replace keys (publishes at once)
  publish                           sign what is staged and publish it
  inspect                           show the policy, signers, keys, roles and expiry
  use [trust options] [--project]   save the trust "verify" uses when given none (consumers)

Content commands stage their change in DIR/staged/; "publish" signs it into DIR/repository/,
the directory to serve over HTTPS. Run "opk-attest trust <subcommand> --help" for its options.
`;

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  init: initCommand,
  signer: signerCommand,
  threshold: thresholdCommand,
  require: requireCommand,
  revoke: revokeCommand,
  unrevoke: unrevokeCommand,
  jwks: jwksCommand,
  tlog: tlogCommand,
  delegate: delegateCommand,
  undelegate: undelegateCommand,
  key: keyCommand,
  publish: publishCommand,
  inspect: inspectTrustCommand,
  use: trustUseCommand,
};

/**
 * Runs `opk-attest trust …`.
 * @param argv - the arguments after `trust`
 * @returns the subcommand's exit status: 0 ok, 1 failed, 2 usage error
 * @throws whatever the subcommand does not handle itself (the dispatcher prints it, exit 1)
 */
export async function trustCommand(argv: string[]): Promise<number> {
  return dispatch('trust', USAGE, SUBCOMMANDS, argv);
}
