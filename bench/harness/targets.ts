/**
 * Issue 9's targets, and one line per figure: the figure, its ratio where it has one, and
 * PASS or MISSED against the target. Every figure the bench judges goes through `judge`, so
 * a summary at the end can list what was missed.
 */

/** A target: the figure must be at most or at least `value`. */
export interface Target {
  at: 'most' | 'least';
  value: number;
  unit: string;
}

/** One judged figure. */
export interface Judged {
  label: string;
  value: number;
  target: Target;
  passed: boolean;
}

const judged: Judged[] = [];

/** Whether `value` meets `target`. */
export function meets(value: number, target: Target): boolean {
  return target.at === 'most' ? value <= target.value : value >= target.value;
}

/**
 * Prints `label  value unit  (detail)  target ≤/≥ N unit → PASS|MISSED` and records it.
 * @returns whether the target was met
 */
export function judge(label: string, value: number, unit: string, target: Target, detail = ''): boolean {
  const passed = Number.isFinite(value) && meets(value, target);
  judged.push({ label, value, target, passed });
  const shown = `${format(value)} ${unit}`.padStart(16);
  const goal = `target ${target.at === 'most' ? '≤' : '≥'} ${format(target.value)} ${target.unit}`;
  console.log(`${label.padEnd(52)} ${shown}  ${detail ? `${detail}  ` : ''}${goal} → ${passed ? 'PASS' : 'MISSED'}`);
  return passed;
}

/** Prints a figure without a target. */
export function show(label: string, value: number, unit: string, detail = ''): void {
  console.log(`${label.padEnd(52)} ${`${format(value)} ${unit}`.padStart(16)}${detail ? `  ${detail}` : ''}`);
}

/** Prints every figure judged so far that missed its target (or "every target met"). */
export function printMissed(): void {
  const missed = judged.filter((j) => !j.passed);
  if (missed.length === 0) {
    console.log(`targets: all ${judged.length} met`);
    return;
  }
  console.log(`targets: ${judged.length - missed.length} of ${judged.length} met; MISSED:`);
  for (const m of missed)
    console.log(
      `  ${m.label}: ${format(m.value)} (target ${m.target.at === 'most' ? '≤' : '≥'} ${format(m.target.value)} ${m.target.unit})`,
    );
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function format(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
