/**
 * The CPU time of CNCF distribution's own process, read from /proc (Linux): on a small machine a
 * run's wall time follows the registry's CPU as much as its round trips (distribution 2.8 spends
 * a few milliseconds of CPU on every request here), so the benches report it per run.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** /proc's clock ticks per second, asked once at load: spawning getconf per reading costs the
 *  bench's parent (and the services it hosts) tens of milliseconds of CPU each time. */
const TICKS_PER_SECOND =
  process.platform === 'linux' ? Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100 : 100;

/**
 * CPU time (user + system, ms) of the docker-registry processes this process started;
 * undefined off Linux or when there is none. Clock ticks are 10 ms, enough over a run.
 */
export function registryCpuMs(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  let total: number | undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // the process ended between the listing and the read
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[1] = ppid, fields[11] = utime, fields[12] = stime (proc(5), counting from state)
    if (comm !== 'docker-registry' || Number(fields[1]) !== process.pid) continue;
    total = (total ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  }
  return total;
}
