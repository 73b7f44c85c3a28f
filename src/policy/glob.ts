/**
 * The one glob matcher for policy scopes and claim patterns. Patterns come only from the signed
 * policy; they are matched by hand, never turned into a RegExp.
 * `*` matches any run of characters except `/`; `**` matches any run including `/`;
 * every other character matches itself.
 */

/** Whether `value` matches `pattern`. */
export function globMatch(pattern: string, value: string): boolean {
  // memo[i][j]: does pattern[i:] match value[j:]? Iterative DP keeps hostile patterns linear-ish.
  const p = pattern;
  const memo = new Map<number, boolean>();
  const width = value.length + 1;
  const match = (i: number, j: number): boolean => {
    const key = i * width + j;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let result: boolean;
    if (i === p.length) result = j === value.length;
    else if (p.startsWith('**', i)) result = match(i + 2, j) || (j < value.length && match(i, j + 1));
    else if (p[i] === '*') result = match(i + 1, j) || (j < value.length && value[j] !== '/' && match(i, j + 1));
    else result = j < value.length && p[i] === value[j] && match(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}
