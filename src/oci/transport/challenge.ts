/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1): one or more challenges, each a scheme followed
 * by either a token68 or comma-separated `name=value` parameters whose values may be quoted
 * strings containing commas and escaped quotes. Fetch joins repeated headers with ", ", so a
 * single string can hold `Basic realm="a", Bearer realm="b",scope="x,y"`.
 */

/** One challenge; `scheme` is lowercase, parameter names are lowercase. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Headers longer than this are ignored (no challenge), not parsed. */
const MAX_HEADER_LENGTH = 16 * 1024;
const MAX_PARAMS = 64;
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses a `WWW-Authenticate` value into challenges. Malformed tails are dropped, never thrown:
 * a registry with a sloppy header then simply gets no auth, and its 401 is reported as such.
 * @param header - the header value, or null when absent
 * @returns the challenges in order (empty when none parse)
 * @throws never
 */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  if (!header || header.length > MAX_HEADER_LENGTH) return [];
  const p = new Parser(header);
  const out: Challenge[] = [];
  while (!p.done()) {
    p.skipSeparators();
    const scheme = p.token();
    if (!scheme) break;
    const challenge: Challenge = {
      scheme: scheme.toLowerCase(),
      params: Object.create(null) as Record<string, string>,
    };
    out.push(challenge);
    p.skipSpaces();
    if (!parseParams(p, challenge)) break;
  }
  return out;
}

/**
 * The first challenge of `scheme` (case-insensitive) in a `WWW-Authenticate` value.
 * @throws never
 */
export function findChallenge(header: string | null | undefined, scheme: string): Challenge | undefined {
  return parseChallenges(header).find((c) => c.scheme === scheme.toLowerCase());
}

/** Reads the parameters of one challenge; false when the input is malformed and parsing must stop. */
function parseParams(p: Parser, challenge: Challenge): boolean {
  const token68 = p.token68();
  if (token68 !== undefined) {
    challenge.params['token68'] = token68;
    return true;
  }
  let count = 0;
  while (!p.done()) {
    const mark = p.pos;
    p.skipSeparators();
    const name = p.token();
    if (!name) return p.done();
    p.skipSpaces();
    if (!p.eat('=')) {
      p.pos = mark; // a bare token: the next challenge's scheme
      return true;
    }
    p.skipSpaces();
    const value = p.peek() === '"' ? p.quoted() : p.bareValue();
    if (value === undefined || ++count > MAX_PARAMS) return false;
    const key = name.toLowerCase();
    if (!(key in challenge.params)) challenge.params[key] = value; // first occurrence wins
    p.skipSpaces();
    if (!p.done() && p.peek() !== ',') return false;
  }
  return true;
}

/** A cursor over the header with the RFC 9110 lexical rules. */
class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.pos >= this.s.length;
  }

  peek(): string | undefined {
    return this.s[this.pos];
  }

  eat(c: string): boolean {
    if (this.s[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  skipSpaces(): void {
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
  }

  skipSeparators(): void {
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t' || this.s[this.pos] === ',') this.pos++;
  }

  token(): string {
    const start = this.pos;
    while (this.pos < this.s.length && TOKEN_CHAR.test(this.s[this.pos]!)) this.pos++;
    return this.s.slice(start, this.pos);
  }

  /** A token68 (`Negotiate dXNlcg==`): token68 characters, then `=` padding, then the end or a comma. */
  token68(): string | undefined {
    const start = this.pos;
    while (this.pos < this.s.length && TOKEN68_CHAR.test(this.s[this.pos]!)) this.pos++;
    if (this.pos === start) return undefined;
    while (this.s[this.pos] === '=') this.pos++;
    const end = this.pos;
    this.skipSpaces();
    if (this.done() || this.peek() === ',') return this.s.slice(start, end);
    this.pos = start; // a `name=value` parameter, not a token68
    return undefined;
  }

  /** An unquoted value. RFC 9110 allows only a token; registries write bare URLs, so read to a comma or space. */
  bareValue(): string | undefined {
    const start = this.pos;
    while (this.pos < this.s.length && !/[\s,"]/.test(this.s[this.pos]!)) this.pos++;
    return this.pos === start ? undefined : this.s.slice(start, this.pos);
  }

  /** A quoted-string with backslash escapes; undefined when unterminated. */
  quoted(): string | undefined {
    this.pos++; // the opening quote
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++]!;
      if (c === '"') return out;
      if (c === '\\') {
        if (this.pos >= this.s.length) return undefined;
        out += this.s[this.pos++]!;
      } else {
        out += c;
      }
    }
    return undefined;
  }
}
