/**
 * Reads docker command lines the way the docker CLI (cobra/pflag) does, just enough to find the
 * image or build context among the flags and to pull out the flags the wrappers act on, while
 * every other token passes through untouched and in order.
 *
 * To find `IMAGE` in `docker run [FLAGS] IMAGE [ARGS…]` one must know which flags take a value
 * (`--name web nginx` vs `--rm nginx`). A flag not in the tables could be either, and guessing
 * wrong would verify one image and run another, so an unknown flag is accepted only as
 * `--flag=VALUE` (see docs/docker.md). Pure: no I/O.
 */
import { DockerError } from './errors.js';

/** A docker command's flags: long name → takes a value; short letter → long name. */
export interface FlagTable {
  /** The docker command, for messages (`docker run`). */
  command: string;
  long: Readonly<Record<string, 'value' | 'bool'>>;
  short: Readonly<Record<string, string>>;
  /** false for `docker run`: the first positional ends the flags (what follows is the container's command). */
  interspersed: boolean;
}

const v = 'value' as const;
const b = 'bool' as const;

function table(
  command: string,
  interspersed: boolean,
  values: string,
  bools: string,
  short: Record<string, string>,
): FlagTable {
  const long: Record<string, 'value' | 'bool'> = {};
  for (const n of values.split(/\s+/).filter(Boolean)) long[n] = v;
  for (const n of bools.split(/\s+/).filter(Boolean)) long[n] = b;
  return { command, long, short, interspersed };
}

/** `docker run` (Docker 20.10 to 28), with hidden aliases (`--net`, `--dns-opt`). */
export const RUN_FLAGS: FlagTable = table(
  'docker run',
  false,
  `add-host annotation attach blkio-weight blkio-weight-device cap-add cap-drop cgroup-parent cgroupns cidfile
   cpu-count cpu-percent cpu-period cpu-quota cpu-rt-period cpu-rt-runtime cpu-shares cpus cpuset-cpus cpuset-mems
   detach-keys device device-cgroup-rule device-read-bps device-read-iops device-write-bps device-write-iops dns
   dns-option dns-opt dns-search domainname entrypoint env env-file expose gpus group-add health-cmd health-interval
   health-retries health-start-interval health-start-period health-timeout hostname io-maxbandwidth io-maxiops ip ip6
   ipc isolation kernel-memory label label-file link link-local-ip log-driver log-opt mac-address memory
   memory-reservation memory-swap memory-swappiness mount name network net network-alias net-alias oom-score-adj pid
   pids-limit platform publish pull restart runtime security-opt shm-size stop-signal stop-timeout storage-opt sysctl
   tmpfs ulimit user userns uts volume volume-driver volumes-from workdir`,
  `detach disable-content-trust help init interactive no-healthcheck oom-kill-disable privileged publish-all quiet
   read-only rm sig-proxy tty use-api-socket`,
  {
    a: 'attach',
    c: 'cpu-shares',
    d: 'detach',
    e: 'env',
    h: 'hostname',
    i: 'interactive',
    l: 'label',
    m: 'memory',
    p: 'publish',
    P: 'publish-all',
    q: 'quiet',
    t: 'tty',
    u: 'user',
    v: 'volume',
    w: 'workdir',
  },
);

/** `docker build`: the classic builder's flags and those of `docker buildx build`, which it may be. */
export const BUILD_FLAGS: FlagTable = table(
  'docker build',
  true,
  `add-host allow annotation attest build-arg build-context builder cache-from cache-to cgroup-parent cpu-period
   cpu-quota cpu-shares cpuset-cpus cpuset-mems file iidfile isolation label memory memory-swap metadata-file network
   no-cache-filter output platform progress secret security-opt shm-size ssh tag target ulimit`,
  `compress debug disable-content-trust force-rm help load no-cache pull push quiet rm squash`,
  { c: 'cpu-shares', D: 'debug', f: 'file', m: 'memory', o: 'output', q: 'quiet', t: 'tag' },
);

/** `docker pull`. */
export const PULL_FLAGS: FlagTable = table(
  'docker pull',
  true,
  'platform',
  'all-tags disable-content-trust help quiet',
  {
    a: 'all-tags',
    q: 'quiet',
  },
);

/** One flag as given: its long name, its value (booleans: none, or the `=` text) and its tokens. */
export interface ScannedFlag {
  name: string;
  value?: string;
  tokens: string[];
}

/** A command line split into flags and positionals. */
export interface ScannedArgs {
  /** Docker's flags, in order, each with its original tokens. */
  flags: ScannedFlag[];
  /** Flags named in `extract` (the wrapper's own), removed from what is passed on. */
  extracted: ScannedFlag[];
  /** Positionals before the end of flags (`docker run`: just IMAGE). */
  positionals: string[];
  /** `docker run`: everything after IMAGE, untouched. */
  rest: string[];
}

/**
 * Splits a docker command line. Flags named in `extract` (long name → takes a value) are the
 * wrapper's own and are taken out; every other flag must be in `t` or written `--flag=VALUE`.
 * Combined short flags (`-it`, `-ite X`, `-eX=1`) are read as pflag reads them.
 * @param argv - the arguments after `docker opk run|build|pull`
 * @param t - the docker command's flag table
 * @param extract - the wrapper's own long flags, and whether each takes a value
 * @returns the flags, the extracted flags, the positionals and (run) the rest
 * @throws DockerError DOCKER_ARGS_INVALID naming the flag (unknown without `=`, or missing its value)
 */
export function scanDockerArgs(
  argv: readonly string[],
  t: FlagTable,
  extract: Readonly<Record<string, 'value' | 'bool'>>,
): ScannedArgs {
  const out: ScannedArgs = { flags: [], extracted: [], positionals: [], rest: [] };
  let i = 0;
  const next = (name: string): string => {
    if (i >= argv.length) throw invalid(t, `--${name} needs a value`);
    return argv[i++]!;
  };
  while (i < argv.length) {
    const tok = argv[i++]!;
    if (tok === '--') {
      const after = argv.slice(i);
      if (t.interspersed) out.positionals.push(...after);
      else if (after.length > 0) {
        out.positionals.push(after[0]!);
        out.rest.push(...after.slice(1));
      }
      break;
    }
    if (tok.startsWith('--') && tok.length > 2) {
      const eq = tok.indexOf('=');
      const name = eq === -1 ? tok.slice(2) : tok.slice(2, eq);
      const own = Object.hasOwn(extract, name);
      const kind = own ? extract[name] : t.long[name];
      let flag: ScannedFlag;
      if (eq !== -1) flag = { name, value: tok.slice(eq + 1), tokens: [tok] };
      else if (kind === undefined)
        throw invalid(
          t,
          `unknown flag --${name}; write it as --${name}=VALUE (or --${name}=true) so the image can be found`,
        );
      else if (kind === v) {
        const value = next(name);
        flag = { name, value, tokens: [tok, value] };
      } else flag = { name, tokens: [tok] };
      (own ? out.extracted : out.flags).push(flag);
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) {
      out.flags.push(...shortFlags(tok, t, next));
      continue;
    }
    out.positionals.push(tok);
    if (!t.interspersed) {
      out.rest.push(...argv.slice(i));
      break;
    }
  }
  return out;
}

/** `-abc`: booleans until a letter that takes a value, which takes the rest of the token or the next
 *  one. The group's tokens are kept once, on its first flag, so re-joining gives back the input. */
function shortFlags(tok: string, t: FlagTable, next: (name: string) => string): ScannedFlag[] {
  const flags: ScannedFlag[] = [];
  let taken: string | undefined;
  for (let k = 1; k < tok.length; k++) {
    const letter = tok[k]!;
    const name = Object.hasOwn(t.short, letter) ? t.short[letter]! : undefined;
    if (name === undefined) throw invalid(t, `unknown flag -${letter} in ${JSON.stringify(tok)}; use its long form`);
    if (t.long[name] === 'bool') {
      flags.push({ name, tokens: [] });
      continue;
    }
    const inline = tok.slice(k + 1);
    if (inline === '') taken = next(name);
    flags.push({ name, value: taken ?? (inline.startsWith('=') ? inline.slice(1) : inline), tokens: [] });
    break;
  }
  flags[0]!.tokens = taken === undefined ? [tok] : [tok, taken];
  return flags;
}

/** The tokens of the flags, in order, as given. */
export function flagTokens(flags: readonly ScannedFlag[]): string[] {
  return flags.flatMap((f) => f.tokens);
}

/** The values of a flag given (possibly) several times, in order. */
export function flagValues(flags: readonly ScannedFlag[], name: string): string[] {
  return flags.filter((f) => f.name === name && f.value !== undefined).map((f) => f.value!);
}

function invalid(t: FlagTable, message: string): DockerError {
  return new DockerError({ code: 'DOCKER_ARGS_INVALID', message: `${t.command}: ${message}` });
}

/**
 * The tokens of the flags without those named. A short-flag group that holds one (`-qf F`) is
 * rewritten in long form (`--quiet`), so nothing else is lost or changed.
 * @throws never
 */
export function tokensWithout(flags: readonly ScannedFlag[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    if (flags[i]!.tokens.length === 0) continue; // a later member of a group, handled with its first
    let end = i + 1;
    while (end < flags.length && flags[end]!.tokens.length === 0) end++;
    const group = flags.slice(i, end);
    if (!group.some((f) => names.has(f.name))) out.push(...flags[i]!.tokens);
    else
      for (const f of group)
        if (!names.has(f.name)) out.push(f.value === undefined ? `--${f.name}` : `--${f.name}=${f.value}`);
  }
  return out;
}
