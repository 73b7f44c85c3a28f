// `npm run demo`: bundles scripts/demo.ts (and the test fakes it drives) with esbuild into
// .tmp/, then runs it. Everything the demo starts listens on 127.0.0.1 and is stopped at the end.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';

mkdirSync('.tmp/demo', { recursive: true });
const out = '.tmp/demo/demo.mjs';
await build({
  entryPoints: ['scripts/demo.ts'],
  outfile: out,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
// A child process of its own, so its signal handling and exit status are the demo's.
const child = spawn(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)));
