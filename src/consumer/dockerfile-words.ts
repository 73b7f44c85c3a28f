/**
 * Words of a Dockerfile instruction: whitespace splitting with quotes, and variable substitution
 * as BuildKit's `shell/lex.go` does it for `FROM`, `ARG`, `ENV`, `COPY --from` and `RUN --mount`
 * (`$A`, `${A}`, `${A:-w}`, `${A-w}`, `${A:+w}`, `${A+w}`, `${A:?m}`, `${A?m}`, quotes, the escape
 * character). The pattern forms (`${A#p}`, `${A%p}`, `${A/p/r}`) are refused rather than guessed.
 */
import { ConsumerError } from './errors.js';

/** A word of a logical line, with its `[start, end)` index in that line. */
export interface Word {
  text: string;
  start: number;
  end: number;
}

/** Variables visible to a substitution; `undefined` values are unset. */
export type Env = ReadonlyMap<string, string>;

/**
 * Splits on spaces and tabs; quotes keep their content (and whitespace in it) in one word.
 * @throws never
 */
export function splitWords(text: string, escape: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= text.length) break;
    const start = i;
    let quote: string | undefined;
    while (i < text.length) {
      const c = text[i]!;
      if (quote === undefined && (c === ' ' || c === '\t')) break;
      if (c === escape && quote !== "'" && i + 1 < text.length) i++;
      else if (quote === undefined && (c === '"' || c === "'")) quote = c;
      else if (c === quote) quote = undefined;
      i++;
    }
    words.push({ text: text.slice(start, i), start, end: i });
  }
  return words;
}

/** Where a substitution sits, for error messages. */
export interface Place {
  file: string;
  line: number;
}

/**
 * Substitutes variables and removes quotes and escapes, as BuildKit's `ProcessWord`.
 * @throws ConsumerError DOCKERFILE_INVALID | DOCKERFILE_VARIABLE_UNSUPPORTED | DOCKERFILE_VARIABLE_UNSET
 */
export function expandWord(word: string, env: Env, escape: string, place: Place): string {
  return new Expander(word, env, escape, place).run();
}

class Expander {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly env: Env,
    private readonly escape: string,
    private readonly place: Place,
  ) {}

  run(): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === "'") out += this.single();
      else if (c === '"') out += this.double();
      else if (c === this.escape) out += this.escaped();
      else if (c === '$') out += this.dollar();
      else {
        out += c;
        this.i++;
      }
    }
    return out;
  }

  private single(): string {
    const close = this.s.indexOf("'", this.i + 1);
    if (close === -1) throw this.invalid('has an unterminated single quote');
    const text = this.s.slice(this.i + 1, close);
    this.i = close + 1;
    return text;
  }

  private double(): string {
    let out = '';
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') {
      const c = this.s[this.i]!;
      if (c === '$') out += this.dollar();
      else if (c === this.escape && !['"', '$', this.escape].includes(this.s[this.i + 1] ?? '')) {
        out += c;
        this.i++;
      } else if (c === this.escape) out += this.escaped();
      else {
        out += c;
        this.i++;
      }
    }
    if (this.i >= this.s.length) throw this.invalid('has an unterminated double quote');
    this.i++;
    return out;
  }

  private escaped(): string {
    const next = this.s[this.i + 1];
    this.i += 2;
    return next ?? '';
  }

  private dollar(): string {
    this.i++;
    const c = this.s[this.i];
    if (c === '{') return this.braced();
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (name === undefined) return '$';
    this.i += name.length;
    return this.env.get(name) ?? '';
  }

  private braced(): string {
    const open = this.i;
    this.i++;
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (name === undefined) throw this.invalid(`has a bad substitution at "${this.s.slice(open - 1, open + 20)}"`);
    this.i += name.length;
    const value = this.env.get(name);
    if (this.s[this.i] === '}') {
      this.i++;
      return value ?? '';
    }
    const colon = this.s[this.i] === ':';
    if (colon) this.i++;
    const op = this.s[this.i];
    if (op === undefined || !'-+?'.includes(op)) {
      throw new ConsumerError({
        code: 'DOCKERFILE_VARIABLE_UNSUPPORTED',
        message: `${this.where()}: "\${${name}${colon ? ':' : ''}${op ?? ''}…}" is a substitution we do not evaluate; use \${${name}}, \${${name}:-default} or \${${name}:+alt}`,
      });
    }
    this.i++;
    const word = this.untilClose();
    const set = colon ? value !== undefined && value !== '' : value !== undefined;
    if (op === '-') return set ? value! : expandWord(word, this.env, this.escape, this.place);
    if (op === '+') return set ? expandWord(word, this.env, this.escape, this.place) : '';
    if (set) return value!;
    throw new ConsumerError({
      code: 'DOCKERFILE_VARIABLE_UNSET',
      message: `${this.where()}: ${name} is not set (${word || 'required'}); pass --build-arg ${name}=…`,
    });
  }

  /** The raw word up to the matching `}` (nested braces counted). */
  private untilClose(): string {
    const start = this.i;
    let depth = 1;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === this.escape) this.i++;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
      this.i++;
    }
    if (this.i >= this.s.length) throw this.invalid('has an unterminated "${"');
    const word = this.s.slice(start, this.i);
    this.i++;
    return word;
  }

  private where(): string {
    return `${this.place.file}:${this.place.line}`;
  }

  private invalid(what: string): ConsumerError {
    return new ConsumerError({
      code: 'DOCKERFILE_INVALID',
      message: `${this.where()}: "${this.s.slice(0, 100)}" ${what}; fix the Dockerfile`,
    });
  }
}
