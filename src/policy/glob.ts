/**
 * The one glob matcher for policy scopes and claim patterns. Patterns come only from the signed
 * policy; they are matched by hand, never turned into a RegExp.
 * `*` matches any run of characters except `/`; `**` (and any longer run of stars) matches any
 * run including `/`; every other character matches itself; the whole value must match.
 */

/** One step of a compiled pattern: a run of literal characters, `*`, or `**`. */
type Token = { kind: 'literal'; text: string } | { kind: 'star' } | { kind: 'any' };

/**
 * Whether `value` matches `pattern` as a whole.
 * A dynamic programme over the pattern's tokens, with no recursion and no backtracking: time is
 * O(stars × value length + pattern length) and memory O(value length), so a hostile pattern (`*`
 * repeated) or a long value (a 100 000-character claim) can neither blow up nor overflow the stack.
 * @throws never
 */
export function globMatch(pattern: string, value: string): boolean {
  const n = value.length;
  // reach[j] = 1: the tokens consumed so far match value[0:j].
  let reach: Uint8Array = new Uint8Array(n + 1);
  reach[0] = 1;
  for (const token of compile(pattern)) {
    reach =
      token.kind === 'literal'
        ? stepLiteral(reach, value, token.text)
        : token.kind === 'any'
          ? stepAny(reach)
          : stepStar(reach, value);
    if (!reach.includes(1)) return false; // nothing can match any more
  }
  return reach[n] === 1;
}

/** Splits a pattern into tokens; a run of two or more stars is one `**` (they match the same). */
function compile(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const start = i;
    if (pattern[i] === '*') {
      while (pattern[i] === '*') i++;
      tokens.push(i - start === 1 ? { kind: 'star' } : { kind: 'any' });
    } else {
      while (i < pattern.length && pattern[i] !== '*') i++;
      tokens.push({ kind: 'literal', text: pattern.slice(start, i) });
    }
  }
  return tokens;
}

/** A literal run: positions where it occurs are found once (KMP), so the step is linear. */
function stepLiteral(reach: Uint8Array, value: string, text: string): Uint8Array {
  const next = new Uint8Array(reach.length);
  for (const j of occurrences(value, text)) if (reach[j] === 1) next[j + text.length] = 1;
  return next;
}

/** `**`: anything reachable before is reachable at every later position. */
function stepAny(reach: Uint8Array): Uint8Array {
  const next = new Uint8Array(reach.length);
  let seen = 0;
  for (let j = 0; j < reach.length; j++) next[j] = seen |= reach[j]!;
  return next;
}

/** `*`: extends a reachable position over characters other than `/`. */
function stepStar(reach: Uint8Array, value: string): Uint8Array {
  const next = new Uint8Array(reach.length);
  for (let j = 0; j < reach.length; j++) {
    next[j] = reach[j] === 1 || (j > 0 && next[j - 1] === 1 && value[j - 1] !== '/') ? 1 : 0;
  }
  return next;
}

/** Start positions of every occurrence of `text` (non-empty) in `value`: Knuth–Morris–Pratt, O(n + m). */
function occurrences(value: string, text: string): number[] {
  const fail = new Int32Array(text.length);
  for (let i = 1, k = 0; i < text.length; i++) {
    while (k > 0 && text[i] !== text[k]) k = fail[k - 1]!;
    if (text[i] === text[k]) k++;
    fail[i] = k;
  }
  const found: number[] = [];
  for (let j = 0, k = 0; j < value.length; j++) {
    while (k > 0 && value[j] !== text[k]) k = fail[k - 1]!;
    if (value[j] === text[k]) k++;
    if (k === text.length) {
      found.push(j - text.length + 1);
      k = fail[k - 1]!;
    }
  }
  return found;
}
