/** Helpers for benchmark scripts: run a function for a while and report operations per second. */

/** Runs `fn` repeatedly for at least `ms` milliseconds (after a warm-up) and returns ops/s. */
export async function opsPerSecond(fn: () => unknown, ms = 1000): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

/** Prints one aligned result line. */
export function report(label: string, value: number, unit: string): void {
  console.log(`${label.padEnd(44)} ${value.toFixed(value < 10 ? 2 : 0).padStart(10)} ${unit}`);
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
