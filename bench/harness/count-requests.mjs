// Preloaded (`node --import`) into a bench child that runs a bundle as a fresh process: records
// every HTTP request it sends and its peak RSS, and writes them to $OPK_BENCH_REQUESTS at exit.
// undici publishes each request on the `undici:request:create` diagnostics channel, by name, so
// both a bundled undici and Node's own fetch are seen; retries count, as the servers see them.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const file = process.env.OPK_BENCH_REQUESTS;
const started = performance.now();
const requests = [];
subscribe('undici:request:create', ({ request }) => {
  requests.push({
    method: request.method,
    url: `${String(request.origin)}${request.path}`,
    at: performance.now() - started,
  });
});
process.on('exit', () => {
  if (file) writeFileSync(file, JSON.stringify({ requests, peakRssKiB: process.resourceUsage().maxRSS }));
});
