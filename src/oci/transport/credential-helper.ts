/**
 * Runs a docker credential helper (`docker-credential-<name> get`, server URL on stdin,
 * `{"ServerURL","Username","Secret"}` on stdout), as docker does for `credHelpers` and `credsStore`.
 */
import { execFile } from 'node:child_process';
import { OciError } from '../errors.js';
import type { Credential } from './credential.js';

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 64 * 1024;
/** What helpers print (exit 1) when they hold nothing for the server: anonymous, not an error. */
const NOT_FOUND = /credentials not found/i;

/**
 * Asks `docker-credential-<helper>` for the credential of `serverUrl`.
 * @param helper - the helper suffix from `credHelpers`/`credsStore` (e.g. `desktop`, `ecr-login`)
 * @param serverUrl - what docker passes: the registry host, or `https://index.docker.io/v1/` for Docker Hub
 * @param env - the environment to run it in (its PATH finds the helper)
 * @returns the credential, or undefined when the helper holds none for this server
 * @throws OciError OCI_CREDENTIALS_HELPER_FAILED (missing helper, non-zero exit, bad output, timeout)
 */
export async function runCredentialHelper(
  helper: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
): Promise<Credential | undefined> {
  if (!HELPER_NAME.test(helper))
    throw failed(helper, serverUrl, 'has an invalid name; expected letters, digits, ".", "_" or "-"');
  const program = `docker-credential-${helper}`;
  const { stdout, error } = await run(program, serverUrl, env);
  if (error) {
    if (NOT_FOUND.test(stdout)) return undefined;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw failed(
        helper,
        serverUrl,
        `is not installed (no ${program} on PATH); install it or remove it from the docker config`,
        error,
      );
    if (error.killed) throw failed(helper, serverUrl, `did not answer within ${TIMEOUT_MS / 1000} s`, error);
    throw failed(
      helper,
      serverUrl,
      `exited with ${String(code ?? 'an error')}; run "echo ${serverUrl} | ${program} get" to see why`,
      error,
    );
  }
  return parseHelperOutput(helper, serverUrl, stdout);
}

function run(
  program: string,
  input: string,
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; error: (Error & { killed?: boolean }) | null }> {
  return new Promise((resolve) => {
    const child = execFile(
      program,
      ['get'],
      { env, timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' },
      (error, stdout) => resolve({ stdout: String(stdout ?? ''), error }),
    );
    // A missing program fails on spawn, before stdin exists; the callback reports it.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/**
 * Reads a helper's `get` output: `{"Username","Secret"}` strings; an empty secret means none.
 * @param stdout - what the helper printed (never quoted in errors: it holds the secret)
 * @returns the credential, or undefined when the helper holds none
 * @throws OciError OCI_CREDENTIALS_HELPER_FAILED (not JSON, or without string fields)
 */
export function parseHelperOutput(helper: string, serverUrl: string, stdout: string): Credential | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    // No cause: JSON.parse's message quotes the input, which may hold the secret.
    throw failed(helper, serverUrl, 'printed something that is not JSON');
  }
  const { Username, Secret } = (parsed ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof Username !== 'string' || typeof Secret !== 'string') {
    throw failed(helper, serverUrl, 'printed JSON without string "Username" and "Secret"');
  }
  if (Secret === '') return undefined;
  // docker's convention: the username "<token>" marks an OAuth2 refresh (identity) token.
  if (Username === '<token>') return { kind: 'identity-token', token: Secret, source: `docker-credential-${helper}` };
  return { kind: 'basic', username: Username, password: Secret, source: `docker-credential-${helper}` };
}

function failed(helper: string, serverUrl: string, what: string, cause?: unknown): OciError {
  return new OciError({
    code: 'OCI_CREDENTIALS_HELPER_FAILED',
    message: `credential helper docker-credential-${helper} for ${serverUrl} ${what}`,
    ...(cause === undefined ? {} : { cause }),
  });
}
