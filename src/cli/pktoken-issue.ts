/**
 * `opk-attest pktoken issue`: asks an OIDC provider for an ID token committing to a fresh
 * ephemeral key and prints the resulting GQ256 PK token. The key is discarded when the command
 * ends, so the token can sign nothing: the command exists to debug providers and to hand tokens
 * to other OpenPubkey implementations. Secrets (request token, client secret, the RS256 ID token)
 * are never printed; the client secret is only ever read from an environment variable.
 *
 * There is no "token from an environment variable" provider: a variable set before this process
 * started cannot hold a token for a key this process creates. `--provider file` serves that case
 * when the file is written after the commitment is announced (e.g. a named pipe).
 */
import { open } from 'node:fs/promises';
import { discoveryKeyFinder, EphemeralKey, issuePkToken, type PkToken } from '../identity/index.js';
import { keyValues, runCommand, UsageError } from './args.js';
import { DEFAULT_VERIFY_BUDGET_MS } from '../core/deadline.js';
import { announcingProvider, PROVIDER_OPTIONS, PROVIDER_USAGE, providerFromFlags } from './provider-options.js';
import { deadlineFromFlag, TIMEOUT_OPTION, timeoutUsage } from './timeout-option.js';
import { opHeaders } from './pktoken-show.js';
import { safeText } from './terminal-text.js';

const USAGE = `usage: opk-attest pktoken issue [--provider github|file|client-credentials] [options]

Gets an ID token that commits to a fresh ephemeral key and prints the GQ256 PK token (JSON) on
stdout, with a one-line summary on stderr. The ephemeral key is discarded: the token is for
debugging and interoperability, it cannot sign anything.

options:
${PROVIDER_USAGE}  --extra-claim NAME=VALUE   an extra CIC claim (e.g. att=<hex>); repeatable
  --out FILE                 write the token to FILE (mode 0600) instead of stdout
${timeoutUsage(DEFAULT_VERIFY_BUDGET_MS)}`;

const SPEC = {
  name: 'pktoken issue',
  usage: USAGE,
  options: {
    ...PROVIDER_OPTIONS,
    ...TIMEOUT_OPTION,
    'extra-claim': { type: 'string', multiple: true },
    out: { type: 'string' },
  },
} as const;

/**
 * Runs `pktoken issue`.
 * @param argv - the arguments after `issue`
 * @returns 0 when a token was issued, 2 for a usage error
 * @throws OidcError OIDC_* | PkTokenError PKT_* from the provider and issuance (the dispatcher
 *   prints them, exit 1)
 */
export function issuePkTokenCommand(argv: string[]): Promise<number> {
  return runCommand(SPEC, argv, async ({ values }) => {
    const extraClaims = keyValues(values['extra-claim'], '--extra-claim');
    const deadline = deadlineFromFlag(values.timeout, DEFAULT_VERIFY_BUDGET_MS);
    const provider = announcingProvider(providerFromFlags(values, { deadline }), SPEC.name, values['token-file']);
    const pkt = await issuePkToken({
      requestIdToken: (commitment) => provider.requestIdToken(commitment),
      commitmentClaim: provider.commitmentClaim,
      key: EphemeralKey.generate(),
      extraClaims,
      findKey: discoveryKeyFinder({ deadline }),
      gq: true,
    });
    await output(pkt, values.out);
    process.stderr.write(`${summary(pkt)}\n`);
    return 0;
  });
}

/** The JSON form; in a file byte for byte (its hash is the token's), on a terminal with a newline. */
async function output(pkt: PkToken, out: string | undefined): Promise<void> {
  const json = pkt.jsonBytes();
  if (out === undefined) {
    process.stdout.write(Buffer.concat([json, Buffer.from('\n')]));
    return;
  }
  const file = await open(out, 'w', 0o600).catch((err: unknown) => {
    throw new UsageError(
      `cannot write --out ${out} (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path`,
      err,
    );
  });
  try {
    await file.chmod(0o600); // the mode of open() applies only to a file it creates
    await file.writeFile(json);
  } finally {
    await file.close();
  }
}

function summary(pkt: PkToken): string {
  const op = opHeaders(pkt);
  return (
    `issued PK token: issuer ${safeText(pkt.issuer)}, sub ${safeText(pkt.claims.sub)}, ` +
    `kid ${op.kid === undefined ? '(none)' : safeText(op.kid)}, hash ${pkt.hash()} (ephemeral key discarded: debugging and interop only)`
  );
}
