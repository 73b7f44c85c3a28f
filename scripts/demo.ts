/**
 * `npm run demo`: the README's main job on one machine. A registry, a GitHub-compatible OIDC
 * endpoint and a Rekor-v1 test log start on 127.0.0.1; a BuildKit-shaped two-platform image with
 * SBOM and provenance is pushed; the bundled action (`node dist/index.js`) signs it exactly as the
 * Actions runner would run it; then the CLI inspects and verifies it. Everything started is
 * stopped and removed at the end, on failure, and on Ctrl-C.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_IDENTITY,
  distState,
  buildDist,
  startLocalStack,
  type ActionRun,
  type LocalStack,
  type RegistryChoice,
} from '../__tests__/fakes/local-stack.js';

// This file runs bundled as .tmp/demo/demo.mjs (scripts/demo.mjs), two levels below the repository.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');

const say = (line = '') => process.stdout.write(`${line}\n`);
const indent = (text: string, prefix = '   ') =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => (l.trim() === '' ? '' : `${prefix}${l}`))
    .join('\n');

interface SignedRow {
  platform: string;
  predicateType: string;
  artifactDigest: string;
  logIndex?: number;
}

let stack: LocalStack | undefined;
let starting: Promise<LocalStack> | undefined;

/** Stops whatever is running, once, whichever way the demo ends. */
async function cleanUp(): Promise<void> {
  const s = stack ?? (await starting?.catch(() => undefined));
  await s?.stop();
}

/** Ends the demo on a signal or a crash: clean up first, then exit with `code`. */
let aborting = false;
function abort(code: number, why: string): void {
  if (aborting) return; // Ctrl-C reaches both npm's wrapper (which forwards it) and this process
  aborting = true;
  try {
    say(`\n${red(why)}: stopping the registry, OIDC endpoint and log, removing temporary files`);
  } catch {
    // stdout is gone (a closed pipe): clean up all the same
  }
  void cleanUp().finally(() => process.exit(code));
}

process.on('SIGINT', () => abort(130, 'interrupted'));
process.on('SIGTERM', () => abort(143, 'terminated'));
process.on('uncaughtException', (err) => abort(1, `demo failed: ${err.message}`));
process.on('unhandledRejection', (err) => abort(1, `demo failed: ${(err as Error)?.message ?? String(err)}`));
// `npm run demo | head` closes the pipe early; without this the registry would outlive the demo.
process.stdout.on('error', () => abort(1, 'output closed'));

async function main(): Promise<void> {
  const t0 = Date.now();
  say(bold('opk-attest demo') + ": sign and verify an image's attestations, everything on 127.0.0.1");
  say();
  ensureBuilt();

  starting = startLocalStack({ registry: registryChoice(), installRegistry: true, log: (l) => say(`   ${l}`) });
  stack = await starting;
  const { registry, oidc, rekor } = stack;
  say(`   registry  ${registry.host}  ${dim(registry.description)}`);
  say(`   OIDC      ${oidc.url}  ${dim('GitHub-compatible token endpoint (RS256 ID tokens, JWKS)')}`);
  say(`   log       ${rekor.url}  ${dim('Rekor v1 API test log (RFC 6962 tree, signed checkpoints)')}`);
  say();

  say(bold('1. push') + ' a two-platform image with SBOM and provenance, as docker/build-push-action does');
  const image = await stack.pushImage({ repository: 'acme/hello', seed: `demo-${Date.now()}` });
  say(`   ${image.ref}`);
  say();

  say(bold('2. sign') + ' with the bundled action: node dist/index.js, run as the Actions runner runs it');
  say(dim(`   job: ${DEFAULT_IDENTITY.workflowRef}, permissions: id-token: write`));
  const run = await stack.runAction(
    path.join(ROOT, 'dist/index.js'),
    { image: image.ref, 'transparency-log': rekor.url },
    stack.runnerEnv(),
  );
  say(dim(indent(actionLog(run), '   │ ')));
  if (run.code !== 0)
    throw new Error(`the action failed (exit ${run.code}): ${run.errors.join('; ') || run.stderr.trim()}`);
  const signed = JSON.parse(run.outputs.signed ?? '[]') as SignedRow[];
  say(`   ${green('signed')} ${signed.length} statement(s), one PK token, each logged and attached as a referrer:`);
  for (const s of signed)
    say(
      `     ${s.platform.padEnd(12)} ${s.predicateType.padEnd(32)} ${s.artifactDigest}  log index ${s.logIndex ?? '-'}`,
    );
  say();

  say(bold('3. inspect') + ' what the registry now holds: node dist/cli.js inspect IMAGE --platform linux/amd64');
  const inspect = await stack.runNode(path.join(ROOT, 'dist/cli.js'), [
    'inspect',
    image.ref,
    '--platform',
    'linux/amd64',
  ]);
  if (inspect.code !== 0) throw new Error(`inspect failed (exit ${inspect.code}): ${inspect.stderr.trim()}`);
  say(indent(inspect.stdout));
  say();

  say(bold('4. verify') + ' as a consumer: node dist/cli.js verify IMAGE --issuer … --tlog-key … --transparency-log …');
  const verify = await stack.runNode(path.join(ROOT, 'dist/cli.js'), [
    'verify',
    image.ref,
    '--issuer',
    oidc.issuer,
    '--tlog-key',
    stack.tlogKeyFile,
    '--transparency-log',
    rekor.url,
    '--require',
    'https://slsa.dev/provenance/*',
    '--require',
    'https://spdx.dev/Document',
  ]);
  say(indent(verify.stdout || verify.stderr));
  if (verify.code !== 0) throw new Error(`verify failed (exit ${verify.code})`);
  say();

  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  say(
    `${green('✓')} ${signed.length} statements ${green('signed')} and ${green('verified')} on ${image.platforms.length} platforms in ${seconds} s`,
  );
}

/**
 * The action's log as the job log shows it. Workflow commands (`::add-mask::` and the like) are
 * for the runner, and the per-artifact lines are left out: the table below lists them.
 */
function actionLog(run: ActionRun): string {
  return `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('::') && !l.includes(' → '))
    .join('\n');
}

/** `npm run demo -- --registry in-process` picks the in-process registry even when distribution is installed. */
function registryChoice(): RegistryChoice {
  const { values } = parseArgs({ options: { registry: { type: 'string', default: 'auto' } } });
  const choice = values.registry;
  if (choice !== 'auto' && choice !== 'distribution' && choice !== 'in-process') {
    throw new Error(`--registry must be auto, distribution or in-process`);
  }
  return choice;
}

function ensureBuilt(): void {
  const state = distState(ROOT);
  if (state === 'fresh') return;
  say(`   dist/ is ${state === 'missing' ? 'missing' : 'not built from the current src/'}: running npm run build`);
  const t = Date.now();
  buildDist(ROOT);
  say(dim(`   built dist/ in ${((Date.now() - t) / 1000).toFixed(1)} s`));
}

try {
  await main();
  await cleanUp();
  say(dim('stopped everything and removed temporary files'));
} catch (err) {
  say(`\n${red('demo failed')}: ${(err as Error).message}`);
  await cleanUp();
  process.exitCode = 1;
}
