/**
 * The external images a Dockerfile build pulls: every `FROM` that is not a stage or `scratch`,
 * `COPY --from=IMAGE`, `RUN --mount=…,from=IMAGE`, and the `# syntax=` frontend (or the
 * `BUILDKIT_SYNTAX` build arg), with `ARG` defaults, build args and the automatic platform ARGs
 * substituted as BuildKit does, and only the stages the target needs (see docs/consumer.md).
 * Pure: no I/O. `pinDockerfile` (dockerfile-pin.ts) rewrites what this finds.
 */
import { MAX_DOCKERFILE_BASES, MAX_DOCKERFILE_BYTES, MAX_DOCKERFILE_STAGES } from '../core/limits.js';
import { parseReference, type ImageReference } from '../oci/reference.js';
import { ConsumerError } from './errors.js';
import { lexDockerfile, type LogicalLine } from './dockerfile-lines.js';
import { hostPlatform, platformArgs, splitPlatform } from './dockerfile-platform.js';
import { expandWord, splitWords, type Word } from './dockerfile-words.js';

/** Options of `parseDockerfile`: what `docker build` is given besides the file. */
export interface DockerfileOptions {
  /** `--build-arg K=V` values; they override `ARG` defaults (undeclared ones are ignored, as by BuildKit). */
  buildArgs?: Readonly<Record<string, string>>;
  /** `--target STAGE`; default the last stage. */
  target?: string;
  /** `--platform os/arch[/variant]`, the target platform; default `buildPlatform`. */
  platform?: string;
  /** The platform the build runs on; default this machine's (`hostPlatform()`). */
  buildPlatform?: string;
  /** Name used in error messages; default `Dockerfile`. */
  file?: string;
}

/** Where an external image is named. */
export type DockerfileBaseKind = 'from' | 'copy-from' | 'mount-from' | 'syntax';

/** One external image the build pulls. */
export interface DockerfileBase {
  kind: DockerfileBaseKind;
  /** The reference after substitution, as written (`alpine:3.19`, `127.0.0.1:5000/app@sha256:…`). */
  ref: string;
  /** `ref` parsed and normalised (`docker.io/library/alpine`). */
  image: ImageReference;
  /** The platform the build pulls it for (`FROM --platform=…`, else the target platform). */
  platform: string;
  /** 1-based line of the reference. */
  line: number;
  /** Offsets `[start, end)` of the reference token in the text; absent when it came from a build arg. */
  start?: number;
  end?: number;
  /** Index of the stage that names it; absent for the frontend (`syntax`). */
  stage?: number;
}

/** A build stage (`FROM … [AS name]`). */
export interface DockerfileStage {
  index: number;
  /** Lowercase name after `AS`. */
  name?: string;
  line: number;
  /** What it builds on: `scratch`, an earlier stage, or an external image (in `bases`/`unused`). */
  from: { kind: 'scratch' } | { kind: 'stage'; index: number } | { kind: 'image'; ref: string };
  /** Whether the target needs it (it is the target, or the target depends on it). */
  needed: boolean;
}

/** What `parseDockerfile` finds. */
export interface ParsedDockerfile {
  /** External images the build of the target pulls, in file order (the frontend first). */
  bases: DockerfileBase[];
  /** External images named only in stages the target does not need (BuildKit does not pull them). */
  unused: DockerfileBase[];
  stages: DockerfileStage[];
  /** Index of the target stage. */
  target: number;
}

interface StageState extends DockerfileStage {
  platform: string;
  deps: Set<number>;
  env: Map<string, string>;
}

interface Context {
  text: string;
  file: string;
  escape: string;
  buildArgs: Readonly<Record<string, string>>;
  meta: Map<string, string>;
  targetPlatform: string;
  stages: StageState[];
  bases: DockerfileBase[];
}

/**
 * Finds every external image a `docker build` of this Dockerfile pulls.
 * @param text - the Dockerfile
 * @param options - build args, target, platforms
 * @returns the external bases of the needed stages, those of unneeded stages, and the stages
 * @throws ConsumerError DOCKERFILE_INVALID | DOCKERFILE_TOO_LARGE | DOCKERFILE_TARGET_UNKNOWN |
 *   DOCKERFILE_VARIABLE_UNSUPPORTED | DOCKERFILE_VARIABLE_UNSET
 */
export function parseDockerfile(text: string, options: DockerfileOptions = {}): ParsedDockerfile {
  const file = options.file ?? 'Dockerfile';
  if (Buffer.byteLength(text, 'utf8') > MAX_DOCKERFILE_BYTES) {
    throw new ConsumerError({
      code: 'DOCKERFILE_TOO_LARGE',
      message: `${file} is larger than ${MAX_DOCKERFILE_BYTES} bytes; is it really a Dockerfile?`,
    });
  }
  const lexed = lexDockerfile(text, file);
  const buildPlatform = options.buildPlatform ?? hostPlatform();
  const targetPlatform = options.platform ?? buildPlatform;
  const ctx: Context = {
    text,
    file,
    escape: lexed.escape,
    buildArgs: options.buildArgs ?? {},
    meta: platformArgs(buildPlatform, targetPlatform),
    targetPlatform,
    stages: [],
    bases: [],
  };
  addFrontend(ctx, lexed.directives, buildPlatform);
  for (const line of lexed.lines) instruction(ctx, line);
  if (ctx.stages.length === 0) {
    throw new ConsumerError({ code: 'DOCKERFILE_INVALID', message: `${file} has no FROM instruction; add one` });
  }
  const target = targetIndex(ctx, options.target);
  markNeeded(ctx.stages, target);
  const needed = (b: DockerfileBase): boolean => b.stage === undefined || ctx.stages[b.stage]!.needed;
  return {
    bases: ctx.bases.filter(needed),
    unused: ctx.bases.filter((b) => !needed(b)),
    stages: ctx.stages.map(({ index, name, line, from, needed: n }) => ({
      index,
      line,
      from,
      needed: n,
      ...(name === undefined ? {} : { name }),
    })),
    target,
  };
}

function addFrontend(ctx: Context, directives: ReturnType<typeof lexDockerfile>['directives'], platform: string): void {
  // BUILDKIT_SYNTAX replaces the directive's frontend (dockerfile frontend docs, "syntax").
  const fromArg = ctx.buildArgs['BUILDKIT_SYNTAX'];
  const syntax = directives.find((d) => d.key === 'syntax');
  if (fromArg !== undefined && fromArg !== '') {
    addBase(ctx, { kind: 'syntax', ref: fromArg, platform, line: 0 });
  } else if (syntax !== undefined) {
    addBase(ctx, {
      kind: 'syntax',
      ref: syntax.value,
      platform,
      line: syntax.line,
      start: syntax.start,
      end: syntax.end,
    });
  }
}

function instruction(ctx: Context, line: LogicalLine): void {
  const words = splitWords(line.text, ctx.escape);
  const keyword = words[0]!.text.toUpperCase();
  const stage = ctx.stages[ctx.stages.length - 1];
  if (keyword === 'FROM') return from(ctx, line, words.slice(1));
  if (keyword === 'ARG') return arg(ctx, line, words.slice(1), stage);
  if (stage === undefined) {
    throw new ConsumerError({
      code: 'DOCKERFILE_INVALID',
      message: `${ctx.file}:${line.line}: ${keyword} before the first FROM; only ARG may come first`,
    });
  }
  if (keyword === 'ENV') env(ctx, line, words.slice(1), stage);
  else if (keyword === 'COPY') copyFrom(ctx, line, words.slice(1), stage);
  else if (keyword === 'RUN') mountFrom(ctx, line, words.slice(1), stage);
}

function from(ctx: Context, line: LogicalLine, words: Word[]): void {
  const { flags, rest } = splitFlags(words);
  const place = { file: ctx.file, line: line.line };
  for (const f of flags) {
    if (f.name !== 'platform') throw invalid(ctx, line, `FROM has flag --${f.name}; only --platform is allowed`);
  }
  const platformFlag = flags.find((f) => f.name === 'platform');
  const platform =
    platformFlag === undefined ? ctx.targetPlatform : expandWord(platformFlag.value, ctx.meta, ctx.escape, place);
  splitPlatform(platform, `${ctx.file}:${line.line}`);
  const [image, as, name, ...extra] = rest;
  const hasName = as !== undefined && as.text.toUpperCase() === 'AS' && name !== undefined;
  if (image === undefined || extra.length > 0 || (as !== undefined && !hasName)) {
    throw invalid(ctx, line, 'FROM must be "FROM [--platform=P] IMAGE [AS NAME]"');
  }
  const stageName = hasName ? name.text.toLowerCase() : undefined;
  if (stageName !== undefined && !/^[a-z][a-z0-9_.-]*$/.test(stageName)) {
    throw invalid(ctx, line, `stage name "${stageName}" must start with a letter and use [a-z0-9_.-]`);
  }
  if (stageName !== undefined && ctx.stages.some((s) => s.name === stageName)) {
    throw invalid(ctx, line, `stage name "${stageName}" is used twice; rename one`);
  }
  if (ctx.stages.length >= MAX_DOCKERFILE_STAGES) {
    throw new ConsumerError({
      code: 'DOCKERFILE_TOO_LARGE',
      message: `${ctx.file} has more than ${MAX_DOCKERFILE_STAGES} stages`,
    });
  }
  const ref = expandWord(image.text, ctx.meta, ctx.escape, place);
  const index = ctx.stages.length;
  const previous = ctx.stages.find((s) => s.name !== undefined && s.name === ref.toLowerCase());
  const stage: StageState = {
    index,
    line: line.line,
    needed: false,
    platform,
    deps: new Set(),
    env: new Map(previous?.env ?? []),
    from:
      previous !== undefined
        ? { kind: 'stage', index: previous.index }
        : ref === 'scratch'
          ? { kind: 'scratch' }
          : { kind: 'image', ref },
    ...(stageName === undefined ? {} : { name: stageName }),
  };
  ctx.stages.push(stage);
  if (previous !== undefined) stage.deps.add(previous.index);
  else if (ref !== 'scratch') addBase(ctx, { kind: 'from', ref, platform, stage: index, ...span(ctx, line, image) });
}

/** `ARG` before the first FROM sets a meta arg (for FROM lines); inside a stage, a stage variable. */
function arg(ctx: Context, line: LogicalLine, words: Word[], stage: StageState | undefined): void {
  if (words.length === 0) throw invalid(ctx, line, 'ARG needs a name');
  for (const w of words) {
    const eq = w.text.indexOf('=');
    const name = eq === -1 ? w.text : w.text.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(ctx, line, `ARG name "${name}" is not a valid name`);
    const scope = stage?.env ?? ctx.meta;
    const place = { file: ctx.file, line: line.line };
    // Without a default, a stage ARG takes the meta value; a meta ARG keeps an automatic platform value.
    const fallback =
      eq === -1
        ? stage === undefined
          ? scope.get(name)
          : ctx.meta.get(name)
        : expandWord(w.text.slice(eq + 1), scope, ctx.escape, place);
    const value = ctx.buildArgs[name] ?? fallback;
    if (value === undefined) scope.delete(name);
    else scope.set(name, value);
  }
}

function env(ctx: Context, line: LogicalLine, words: Word[], stage: StageState): void {
  const place = { file: ctx.file, line: line.line };
  if (words.length > 0 && !words[0]!.text.includes('=')) {
    // Legacy form "ENV NAME value with spaces".
    const value = line.text.slice(words[1]?.start ?? line.text.length).trim();
    stage.env.set(words[0]!.text, expandWord(value, stage.env, ctx.escape, place));
    return;
  }
  const values = words.map((w) => {
    const eq = w.text.indexOf('=');
    if (eq <= 0) throw invalid(ctx, line, `ENV "${w.text.slice(0, 60)}" is not NAME=VALUE`);
    return [w.text.slice(0, eq), expandWord(w.text.slice(eq + 1), stage.env, ctx.escape, place)] as const;
  });
  for (const [k, v] of values) stage.env.set(k, v);
}

function copyFrom(ctx: Context, line: LogicalLine, words: Word[], stage: StageState): void {
  for (const f of splitFlags(words).flags) {
    if (f.name === 'from') useSource(ctx, line, stage, f.value, f.valueStart, f.valueEnd, 'copy-from');
  }
}

function mountFrom(ctx: Context, line: LogicalLine, words: Word[], stage: StageState): void {
  for (const f of splitFlags(words).flags) {
    if (f.name !== 'mount') continue;
    let at = f.valueStart;
    for (const field of f.value.split(',')) {
      const eq = field.indexOf('=');
      if (eq !== -1 && field.slice(0, eq).trim().toLowerCase() === 'from') {
        useSource(ctx, line, stage, field.slice(eq + 1), at + eq + 1, at + field.length, 'mount-from');
      }
      at += field.length + 1;
    }
  }
}

/** A `--from` source: a stage by name or index, or an external image. */
function useSource(
  ctx: Context,
  line: LogicalLine,
  stage: StageState,
  raw: string,
  start: number,
  end: number,
  kind: 'copy-from' | 'mount-from',
): void {
  const value = expandWord(raw, stage.env, ctx.escape, { file: ctx.file, line: line.line });
  const byIndex = /^[0-9]+$/.test(value) ? ctx.stages[Number(value)] : undefined;
  const byName = ctx.stages.find((s) => s.name !== undefined && s.name === value.toLowerCase());
  const source = byIndex ?? byName;
  if (source !== undefined && source.index !== stage.index) {
    stage.deps.add(source.index);
    return;
  }
  if (value === 'scratch') return;
  addBase(ctx, { kind, ref: value, platform: stage.platform, stage: stage.index, ...span(ctx, line, { start, end }) });
}

interface Flag {
  name: string;
  value: string;
  /** Index range of the value in the logical line. */
  valueStart: number;
  valueEnd: number;
}

/** Leading `--name=value` words (BuildKit's BFlags), and the words after them. */
function splitFlags(words: Word[]): { flags: Flag[]; rest: Word[] } {
  const flags: Flag[] = [];
  let i = 0;
  for (; i < words.length && words[i]!.text.startsWith('--'); i++) {
    const w = words[i]!;
    const eq = w.text.indexOf('=');
    const name = (eq === -1 ? w.text.slice(2) : w.text.slice(2, eq)).toLowerCase();
    const value = eq === -1 ? '' : w.text.slice(eq + 1);
    flags.push({ name, value, valueStart: w.start + (eq === -1 ? w.text.length : eq + 1), valueEnd: w.end });
  }
  return { flags, rest: words.slice(i) };
}

function span(
  ctx: Context,
  line: LogicalLine,
  w: { start: number; end: number },
): {
  line: number;
  start: number;
  end: number;
} {
  const start = line.offsets[w.start]!;
  const end = line.offsets[w.end - 1]! + 1;
  return { line: lineAt(ctx.text, start), start, end };
}

/** The 1-based line of an offset (continuations put a token on a later line than its instruction). */
function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function addBase(ctx: Context, base: Omit<DockerfileBase, 'image'>): void {
  if (ctx.bases.length >= MAX_DOCKERFILE_BASES) {
    throw new ConsumerError({
      code: 'DOCKERFILE_TOO_LARGE',
      message: `${ctx.file} names more than ${MAX_DOCKERFILE_BASES} images`,
    });
  }
  let image: ImageReference;
  try {
    image = parseReference(base.ref);
  } catch (err) {
    throw new ConsumerError({
      code: 'DOCKERFILE_INVALID',
      cause: err,
      message: `${ctx.file}:${base.line}: ${(err as Error).message}; check the ARG values and --build-arg`,
    });
  }
  ctx.bases.push({ ...base, image });
}

function targetIndex(ctx: Context, target: string | undefined): number {
  if (target === undefined) return ctx.stages.length - 1;
  const found = ctx.stages.find((s) => s.name === target.toLowerCase());
  if (found !== undefined) return found.index;
  const names = ctx.stages.flatMap((s) => (s.name === undefined ? [] : [s.name]));
  throw new ConsumerError({
    code: 'DOCKERFILE_TARGET_UNKNOWN',
    message: `${ctx.file} has no stage "${target}"; stages: ${names.join(', ') || '(none named)'}`,
  });
}

function markNeeded(stages: StageState[], target: number): void {
  const todo = [target];
  while (todo.length > 0) {
    const s = stages[todo.pop()!]!;
    if (s.needed) continue;
    s.needed = true;
    todo.push(...s.deps);
  }
}

function invalid(ctx: Context, line: LogicalLine, what: string): ConsumerError {
  return new ConsumerError({ code: 'DOCKERFILE_INVALID', message: `${ctx.file}:${line.line}: ${what}` });
}
