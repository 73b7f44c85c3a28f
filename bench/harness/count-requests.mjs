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
const inFlight = new WeakMap();
const record = (method, url, request) => {
  const entry = { method, url, at: performance.now() - started };
  requests.push(entry);
  if (request) inFlight.set(request, entry);
};
subscribe('undici:request:create', ({ request }) => record(request.method, `${String(request.origin)}${request.path}`));
subscribe('http.client.request.start', ({ request }) =>
  record(request.method, `${request.protocol}//${request.getHeader('host')}${request.path}`, request),
);
// When the answer's headers arrived (Node's client only), for the timeline of a run.
subscribe('http.client.response.finish', ({ request }) => {
  const entry = inFlight.get(request);
  if (entry) entry.answered = performance.now() - started;
});
process.on('exit', () => {
  if (file)
    writeFileSync(
      file,
      JSON.stringify({
        requests,
        peakRssKiB: process.resourceUsage().maxRSS,
        cpuMs: (() => {
          const u = process.cpuUsage();
          return (u.user + u.system) / 1000;
        })(),
      }),
    );
});
