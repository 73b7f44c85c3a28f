/**
 * Reads and validates the action's inputs (action.yml) into the library's sign options.
 * Secrets among them are masked the moment they are read.
 */
import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { Deadline, DEFAULT_SIGN_BUDGET_MS, parseDuration } from '../core/deadline.js';
import { OpkError } from '../core/errors.js';
import { isHttpsOrLoopback } from '../core/loopback.js';

/** The public-good Rekor instance: the default transparency log. */
export const DEFAULT_LOG = 'https://rekor.sigstore.dev';

/** The action's inputs, parsed. */
export interface ActionInputs {
  images: string[];
  platforms: string[];
  sbomPath?: string;
  predicate?: { type: string; path: string };
  referrersRepository?: string;
  /** Rekor URL, or false when logging is turned off. */
  transparencyLog: string | false;
  credentials?: { username: string; password: string };
  verify: boolean;
  force: boolean;
  /** Generate a SLSA provenance from the workflow when the image has statements but none. */
  generateProvenance: boolean;
  /** The `timeout` input: the run's overall time budget in milliseconds (signing and self-verify). */
  timeoutMs: number;
  /** The `oidc-issuer` input: the exact `iss` of the job's tokens, instead of deriving it from GITHUB_SERVER_URL. */
  oidcIssuer?: string;
}

/** Raised for inputs that cannot be used; the message names the input and the fix. */
export class InputError extends OpkError<'INPUT_INVALID'> {}

/** Reads every input of action.yml. @throws InputError INPUT_INVALID */
export function readActionInputs(): ActionInputs {
  const credentials = readRegistryCredentials();
  const predicateType = core.getInput('predicate-type');
  const predicatePath = core.getInput('predicate-path');
  if (Boolean(predicateType) !== Boolean(predicatePath)) {
    throw new InputError({
      code: 'INPUT_INVALID',
      message: 'predicate-type and predicate-path must be given together',
    });
  }
  const images = core.getMultilineInput('image', { required: true }).flatMap(splitList);
  if (images.length === 0)
    throw new InputError({
      code: 'INPUT_INVALID',
      message: 'input "image" is empty; pass name@${{ steps.build.outputs.digest }}',
    });
  return {
    images,
    platforms: splitList(core.getInput('platforms')),
    sbomPath: core.getInput('sbom-path') || undefined,
    predicate: predicateType ? { type: predicateType, path: predicatePath } : undefined,
    referrersRepository: core.getInput('referrers-repository') || undefined,
    transparencyLog: parseLogInput(core.getInput('transparency-log')),
    credentials,
    verify: booleanInput('verify', true),
    force: booleanInput('force', false),
    generateProvenance: booleanInput('generate-provenance', true),
    timeoutMs: timeoutInput(DEFAULT_SIGN_BUDGET_MS),
    oidcIssuer: oidcIssuerInput(),
  };
}

/**
 * The `oidc-issuer` input: an https URL (plain http only on loopback, for tests and demos), as
 * the tokens carry it.
 * @throws InputError INPUT_INVALID
 */
function oidcIssuerInput(): string | undefined {
  const v = core.getInput('oidc-issuer').trim();
  if (v === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    // reported below with the fix
  }
  const ok =
    url !== undefined &&
    isHttpsOrLoopback(url) &&
    !url.username &&
    !url.password &&
    !url.search &&
    !url.hash &&
    !v.endsWith('/');
  if (!ok)
    throw new InputError({
      code: 'INPUT_INVALID',
      message: `input "oidc-issuer" is "${v.slice(0, 80)}"; give the issuer exactly as the job's tokens carry it, an https URL such as https://token.actions.githubusercontent.com/<enterprise-slug>, or leave it empty to derive it from GITHUB_SERVER_URL`,
    });
  return v;
}

/**
 * `registry-username` + `registry-password`, both or neither; the password is masked at once.
 * @throws InputError INPUT_INVALID when only one is given
 */
export function readRegistryCredentials(): { username: string; password: string } | undefined {
  const password = core.getInput('registry-password');
  if (password) core.setSecret(password);
  const username = core.getInput('registry-username');
  if (Boolean(username) !== Boolean(password)) {
    throw new InputError({
      code: 'INPUT_INVALID',
      message:
        'registry-username and registry-password must be given together (or neither, to use the Docker config written by docker/login-action)',
    });
  }
  return username ? { username, password } : undefined;
}

/** Reads a file named by an input, naming the input when it cannot be read. */
export function readInputFile(input: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InputError({
      code: 'INPUT_INVALID',
      cause: err,
      message: `${input}: cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path is relative to the workspace`,
    });
  }
}

/** Splits an input listing values one per line or comma-separated; blanks are dropped. */
export function splitList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The `transparency-log` input: a Rekor URL (default the public instance), or false.
 * @throws InputError INPUT_INVALID for anything else
 */
export function parseLogInput(value: string): string | false {
  const v = value.trim();
  if (v === '') return DEFAULT_LOG;
  if (['false', 'off', 'none'].includes(v.toLowerCase())) return false;
  try {
    const url = new URL(v);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
  } catch (err) {
    throw new InputError({
      code: 'INPUT_INVALID',
      cause: err,
      message: `transparency-log "${v}" is neither a URL nor "false"`,
    });
  }
  return v.replace(/\/+$/, '');
}

/**
 * The `timeout` input of both actions: a duration (`90s`, `5m`, `1m30s`, plain seconds).
 * @returns milliseconds; `fallback` when the input is absent
 * @throws InputError INPUT_INVALID when it is not a positive duration
 */
export function timeoutInput(fallback: number): number {
  const v = core.getInput('timeout').trim();
  if (v === '') return fallback;
  const ms = parseDuration(v);
  if (ms === undefined)
    throw new InputError({
      code: 'INPUT_INVALID',
      message: `input "timeout" is "${v.slice(0, 40)}"; use a duration such as 90s, 5m or 1m30s`,
    });
  return ms;
}

/** Starts the run's deadline from the `timeout` input's value. */
export function deadlineOf(timeoutMs: number): Deadline {
  return new Deadline(timeoutMs, { setting: 'the action input "timeout"' });
}

/** Like core.getBooleanInput, with a default when the input is absent. */
function booleanInput(name: string, fallback: boolean): boolean {
  const v = core.getInput(name).trim().toLowerCase();
  if (v === '') return fallback;
  if (['true', 'yes', '1'].includes(v)) return true;
  if (['false', 'no', '0'].includes(v)) return false;
  throw new InputError({ code: 'INPUT_INVALID', message: `input "${name}" is "${v}"; use true or false` });
}
