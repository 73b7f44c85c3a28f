/**
 * Dockerfile lexing as BuildKit's `frontend/dockerfile/parser` does it: parser directives at the
 * top (`# syntax=`, `# escape=`, `# check=`), comments, line continuations with the escape
 * character, empty continuation lines, and heredocs (`RUN <<EOF … EOF`) whose bodies are not
 * instructions. Each logical line keeps the original offset of every character so that a token
 * can be rewritten in place (see docs/consumer.md).
 */
import { ConsumerError } from './errors.js';

/** A parser directive from the top of the file. */
export interface Directive {
  /** Lowercase key: `syntax`, `escape` or `check`. */
  key: string;
  value: string;
  /** 1-based line. */
  line: number;
  /** Offsets of the value in the original text, `[start, end)`. */
  start: number;
  end: number;
}

/** One instruction with its continuation lines joined. */
export interface LogicalLine {
  /** The joined text, without escape characters that ended lines, comments and heredoc bodies. */
  text: string;
  /** For each character of `text`, its offset in the original file. */
  offsets: number[];
  /** 1-based line where the instruction starts. */
  line: number;
}

/** A Dockerfile split into directives and logical lines. */
export interface LexedDockerfile {
  directives: Directive[];
  escape: '\\' | '`';
  lines: LogicalLine[];
}

const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD']);
const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

interface PhysicalLine {
  text: string;
  start: number;
  number: number;
}

/**
 * Splits a Dockerfile into parser directives and logical lines.
 * @param text - the Dockerfile text (a leading BOM is skipped)
 * @param file - the name used in error messages
 * @throws ConsumerError DOCKERFILE_INVALID
 */
export function lexDockerfile(text: string, file: string): LexedDockerfile {
  const physical = physicalLines(text);
  const { directives, next } = readDirectives(physical, file);
  const escapeDirective = directives.find((d) => d.key === 'escape');
  if (escapeDirective !== undefined && escapeDirective.value !== '\\' && escapeDirective.value !== '`') {
    throw new ConsumerError({
      code: 'DOCKERFILE_INVALID',
      message: `${file}:${escapeDirective.line}: escape directive "${escapeDirective.value}" is not "\\" or "\`"; fix the directive`,
    });
  }
  const escape = (escapeDirective?.value ?? '\\') as '\\' | '`';
  return { directives, escape, lines: logicalLines(physical, next, escape) };
}

function physicalLines(text: string): PhysicalLine[] {
  const out: PhysicalLine[] = [];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let number = 1;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    const lineEnd = end > start && text[end - 1] === '\r' ? end - 1 : end;
    out.push({ text: text.slice(start, lineEnd), start, number });
    if (nl === -1) break;
    start = nl + 1;
    number += 1;
  }
  return out;
}

/** Directives end at the first line that is not one (an empty line, a comment, an unknown key). */
function readDirectives(lines: PhysicalLine[], file: string): { directives: Directive[]; next: number } {
  const directives: Directive[] = [];
  // A shebang line is skipped when BuildKit looks for `# syntax=` (parser/directives.go).
  let i = lines[0]?.text.startsWith('#!') === true ? 1 : 0;
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    const m = DIRECTIVE.exec(l.text);
    const key = m?.[1]?.toLowerCase();
    if (m === null || key === undefined || !KNOWN_DIRECTIVES.has(key)) break;
    if (directives.some((d) => d.key === key)) {
      throw new ConsumerError({
        code: 'DOCKERFILE_INVALID',
        message: `${file}:${l.number}: the "${key}" parser directive appears twice; keep one`,
      });
    }
    const value = m[2]!;
    const valueStart = l.start + l.text.lastIndexOf(value);
    directives.push({ key, value, line: l.number, start: valueStart, end: valueStart + value.length });
  }
  return { directives, next: i };
}

function isComment(text: string): boolean {
  return /^[ \t]*#/.test(text);
}

function isBlank(text: string): boolean {
  return /^[ \t]*$/.test(text);
}

/** The line without a trailing escape character (and whitespace after it), and whether one was there. */
function stripContinuation(text: string, escape: string): { body: string; continues: boolean } {
  let end = text.length;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  if (end > 0 && text[end - 1] === escape) return { body: text.slice(0, end - 1), continues: true };
  return { body: text, continues: false };
}

function logicalLines(lines: PhysicalLine[], from: number, escape: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let i = from;
  while (i < lines.length) {
    const first = lines[i]!;
    i++;
    if (isComment(first.text) || isBlank(first.text)) continue;
    const lead = first.text.length - first.text.trimStart().length;
    const logical: LogicalLine = { text: '', offsets: [], line: first.number };
    let { body, continues } = stripContinuation(first.text.slice(lead), escape);
    append(logical, body, first.start + lead);
    while (continues && i < lines.length) {
      const next = lines[i]!;
      i++;
      // Comment lines and empty lines inside a continued instruction are dropped, as BuildKit does.
      if (isComment(next.text) || isBlank(next.text)) continue;
      ({ body, continues } = stripContinuation(next.text, escape));
      append(logical, body, next.start);
    }
    i = skipHeredocs(logical.text, lines, i);
    out.push(logical);
  }
  return out;
}

function append(logical: LogicalLine, body: string, start: number): void {
  logical.text += body;
  for (let k = 0; k < body.length; k++) logical.offsets.push(start + k);
}

/** Skips the bodies of the heredocs an instruction opens; returns the index of the next line. */
function skipHeredocs(text: string, lines: PhysicalLine[], from: number): number {
  const keyword = /^\S+/.exec(text)?.[0]?.toUpperCase() ?? '';
  if (!HEREDOC_INSTRUCTIONS.has(keyword)) return from;
  let i = from;
  for (const m of text.matchAll(HEREDOC)) {
    const stripTabs = m[1] === '-';
    const word = m[3]!;
    while (i < lines.length) {
      const body = lines[i]!.text;
      i++;
      if ((stripTabs ? body.replace(/^\t+/, '') : body) === word) break;
    }
  }
  return i;
}
