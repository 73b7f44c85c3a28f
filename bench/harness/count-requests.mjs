// Preloaded (`node --import`) into a bench child that runs a bundle as a fresh process: records
// every HTTP request it sends and its peak RSS, and writes them to $OPK_BENCH_REQUESTS at exit.
// Both HTTP engines publish each request on a diagnostics channel, by name: Node's http client
// on `http.client.request.start`, undici (Node's fetch, or a bundled copy) on
// `undici:request:create`. Retries count, as the servers see them.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const file = process.env.OPK_BENCH_REQUESTS;
const started = performance.now();
const requests = [];
const record = (method, url) => requests.push({ method, url, at: performance.now() - started });
subscribe('undici:request:create', ({ request }) => record(request.method, `${String(request.origin)}${request.path}`));
subscribe('http.client.request.start', ({ request }) =>
  record(request.method, `${request.protocol}//${request.getHeader('host')}${request.path}`),
);
process.on('exit', () => {
  if (file) writeFileSync(file, JSON.stringify({ requests, peakRssKiB: process.resourceUsage().maxRSS, cpuMs: (() => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; })() }));
});
