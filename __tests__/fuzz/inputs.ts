/**
 * The fuzzers' inputs (docs/fuzz.md): random bytes, pathological shapes (deep nesting, huge
 * numbers, inputs just over a cap, hostile DER lengths) and mutations of valid inputs — byte
 * edits, and edits inside the JSON tree, inside base64/base64url strings, inside the segments of
 * compact tokens and inside PEM blocks, so a mutant survives the outer layers and reaches the
 * inner checks.
 */
import fc from 'fast-check';

/** Byte strings that tend to matter to JSON, base64, PEM, DER and header parsers. */
const TOKENS = [
  '"',
  '\\',
  '\\u0000',
  '\\ud800',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  'null',
  'true',
  '-0',
  '1e999',
  '-1',
  '9007199254740993',
  '0.5',
  '""',
  '{}',
  '[]',
  '\n',
  '\r\n',
  '\n\n',
  ' ',
  '=',
  '==',
  '.',
  '-',
  '_',
  '+',
  '/',
  '%',
  '\u0000',
  '\u2028',
  '\ufeff',
  '\xff',
  '— ',
  '-----BEGIN ',
  '-----END ',
  'sha256:',
  'Bearer ',
  'realm=',
  '__proto__',
  'constructor',
].map((s) => Buffer.from(s, 'utf8'));

/** Bytes: random, pathological, and mutations of `seeds` (byte edits and structure-aware edits). */
export function bytesFrom(seeds: readonly Uint8Array[], maxRandom = 4096): fc.Arbitrary<Buffer> {
  const mutants = seeds.length === 0 ? [] : [byteMutants(seeds), structuralMutants(seeds), structuralMutants(seeds)];
  return fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: maxRandom }).map((u) => Buffer.from(u)), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 512 }).map((s) => Buffer.from(s, 'utf8')), weight: 1 },
    { arbitrary: fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s, 'utf8')), weight: 1 },
    { arbitrary: pathological(), weight: 1 },
    ...mutants.map((arbitrary) => ({ arbitrary, weight: 3 })),
  );
}

/** Text from `bytesFrom`, decoded as UTF-8 (lone bytes become U+FFFD). */
export function textFrom(seeds: readonly string[], maxRandom = 2048): fc.Arbitrary<string> {
  return bytesFrom(
    seeds.map((s) => Buffer.from(s, 'utf8')),
    maxRandom,
  ).map((b) => b.toString('utf8'));
}

/** Parsed JSON values from mutated seeds (for parsers that take a parsed value). */
export function jsonValuesFrom(seeds: readonly unknown[]): fc.Arbitrary<unknown> {
  return bytesFrom(seeds.map((s) => Buffer.from(JSON.stringify(s), 'utf8'))).map((b) => {
    try {
      return JSON.parse(b.toString('utf8')) as unknown;
    } catch {
      return b.toString('utf8'); // not JSON any more: the parser gets a string
    }
  });
}

function pathological(): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.integer({ min: 1, max: 200_000 }).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))),
    fc.integer({ min: 1, max: 100_000 }).map((n) => Buffer.from('{"a":'.repeat(n) + '1' + '}'.repeat(n))),
    fc.integer({ min: 1, max: 50_000 }).map((n) => Buffer.from(`{"a":"${'\\u0041'.repeat(n)}"}`)),
    fc
      .constantFrom('1e999', '-1e999', '123456789012345678901234567890', '"\\ud800"', '\ufeff{}', '{"__proto__":{}}')
      .map((t) => Buffer.from(t, 'utf8')),
    fc.integer({ min: 1, max: 8 }).map((mib) => Buffer.alloc(mib * 1024 * 1024 + 1, 0x41)),
    // DER: deep constructed nesting and long-form lengths.
    fc
      .integer({ min: 1, max: 5000 })
      .map((n) => Buffer.concat(Array.from({ length: n }, () => Buffer.from([0x30, 0x80])))),
    fc.constantFrom(
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      Buffer.from([0x1f, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00]),
    ),
  ) as fc.Arbitrary<Buffer>;
}

type Op = [kind: number, a: number, b: number, data: Uint8Array];

const op: fc.Arbitrary<Op> = fc.tuple(
  fc.integer({ min: 0, max: 7 }),
  fc.nat(),
  fc.nat(),
  fc.uint8Array({ maxLength: 16 }),
);

function byteMutants(seeds: readonly Uint8Array[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.nat(seeds.length - 1), fc.array(op, { minLength: 1, maxLength: 6 }))
    .map(([i, ops]) => ops.reduce<Buffer>((b, o) => applyByteOp(b, o), Buffer.from(seeds[i]!)));
}

function applyByteOp(b: Buffer, [kind, a, c, data]: Op): Buffer {
  const at = b.length === 0 ? 0 : a % (b.length + 1);
  switch (kind) {
    case 0: // flip one bit
      if (b.length === 0) return b;
      b[at % b.length] = b[at % b.length]! ^ (1 << (c % 8));
      return b;
    case 1: // set one byte
      if (b.length === 0) return b;
      b[at % b.length] = c % 256;
      return b;
    case 2: // delete a range
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + (c % 64)))]);
    case 3: // insert random bytes
      return Buffer.concat([b.subarray(0, at), Buffer.from(data), b.subarray(at)]);
    case 4: // insert a meaningful token
      return Buffer.concat([b.subarray(0, at), TOKENS[c % TOKENS.length]!, b.subarray(at)]);
    case 5: // truncate
      return b.subarray(0, at);
    case 6: {
      // duplicate a range somewhere else
      const from = b.length === 0 ? 0 : c % b.length;
      const chunk = b.subarray(from, from + 1 + (data.length % 64));
      return Buffer.concat([b.subarray(0, at), chunk, b.subarray(at)]);
    }
    default: // replace a range with a token
      return Buffer.concat([b.subarray(0, at), TOKENS[c % TOKENS.length]!, b.subarray(Math.min(b.length, at + 1))]);
  }
}

/** Edits inside the structure: the JSON tree, base64/base64url strings holding JSON or bytes, compact tokens. */
function structuralMutants(seeds: readonly Uint8Array[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.nat(seeds.length - 1),
      fc.array(fc.nat(), { minLength: 1, maxLength: 24 }),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 3 }),
      fc.array(op, { maxLength: 3 }),
    )
    .map(([i, choices, values, ops]) => {
      const pick = new Chooser(choices, values);
      return Buffer.from(mutateText(Buffer.from(seeds[i]!).toString('utf8'), pick, ops, 0), 'utf8');
    });
}

/** Deterministic choices from generated numbers (so fast-check can shrink them). */
class Chooser {
  #i = 0;
  #v = 0;
  constructor(
    private readonly choices: number[],
    private readonly values: unknown[],
  ) {}
  next(n: number): number {
    const c = this.choices[this.#i++ % this.choices.length]!;
    return n <= 0 ? 0 : c % n;
  }
  value(): unknown {
    return this.values[this.#v++ % this.values.length];
  }
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

function mutateText(text: string, pick: Chooser, ops: Op[], depth: number): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (json !== undefined && typeof json === 'object' && json !== null) {
    const mutated = mutateJson(json, pick, ops, depth);
    // Keep the seed's own layout when it had one (Go-style compact JSON): stringify compactly.
    return JSON.stringify(mutated);
  }
  // Compact tokens: base64url segments joined by "." (JWS) or ":" (the compact PK token).
  const parts = text.split(/([.:])/);
  if (parts.length > 1 && parts.every((p, i) => i % 2 === 1 || p === '' || B64URL.test(p))) {
    const segments = parts.map((p, i) => (i % 2 === 0 && p !== '' ? i : -1)).filter((i) => i >= 0);
    const k = segments[pick.next(segments.length)] ?? 0;
    parts[k] = mutateEncoded(parts[k]!, 'base64url', pick, ops, depth);
    if (pick.next(4) === 0) parts.splice(k, 2); // drop a segment and its separator
    return parts.join('');
  }
  if (text.includes('-----BEGIN ')) return mutatePem(text, pick, ops);
  return editBytes(Buffer.from(text, 'utf8'), pick, ops).toString('utf8');
}

function mutateEncoded(s: string, enc: 'base64' | 'base64url', pick: Chooser, ops: Op[], depth: number): string {
  const inner = Buffer.from(s, enc);
  if (depth >= 3 || inner.length === 0) return pick.next(2) === 0 ? `${s}A` : s.slice(0, -1);
  const text = inner.toString('utf8');
  const mutated = Buffer.from(text, 'utf8').equals(inner)
    ? Buffer.from(mutateText(text, pick, ops, depth + 1), 'utf8')
    : editBytes(inner, pick, ops);
  return mutated.toString(enc);
}

/** Byte edits, at least one. */
function editBytes(b: Uint8Array, pick: Chooser, ops: Op[]): Buffer {
  const all: Op[] = ops.length > 0 ? ops : [[pick.next(8), pick.next(1 << 20), pick.next(256), new Uint8Array()]];
  return all.reduce<Buffer>((acc, o) => applyByteOp(acc, o), Buffer.from(b));
}

/** PEM: edit the DER inside and encode it again in Go's layout (64-character lines). */
function mutatePem(text: string, pick: Chooser, ops: Op[]): string {
  const m = /-----BEGIN ([A-Z ]+)-----\n([A-Za-z0-9+/=\n]+)-----END \1-----\n?/.exec(text);
  if (!m) return editBytes(Buffer.from(text, 'utf8'), pick, ops).toString('utf8');
  const der = editBytes(Buffer.from(m[2]!.replace(/\n/g, ''), 'base64'), pick, ops);
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return text.replace(m[0], `-----BEGIN ${m[1]}-----\n${lines.join('\n')}\n-----END ${m[1]}-----\n`);
}

function mutateJson(root: unknown, pick: Chooser, ops: Op[], depth: number): unknown {
  const nodes: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (v: unknown, d: number): void => {
    if (d > 64 || typeof v !== 'object' || v === null) return;
    for (const [k, child] of Object.entries(v)) {
      nodes.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk(child, d + 1);
    }
  };
  walk(root, 0);
  const edits = 1 + pick.next(3);
  for (let e = 0; e < edits && nodes.length > 0; e++) {
    const { parent, key } = nodes[pick.next(nodes.length)]!;
    const current = (parent as Record<string | number, unknown>)[key];
    const set = (v: unknown) => ((parent as Record<string | number, unknown>)[key] = v);
    switch (pick.next(10)) {
      case 0:
        set(pick.value());
        break;
      case 1:
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        break;
      case 2:
        if (Array.isArray(parent)) parent.push(structuredClone(current));
        else parent[`${String(key)}${pick.next(2) === 0 ? '' : 'x'}_`] = pick.value();
        break;
      case 3:
        set([current]);
        break;
      case 4:
        set(typeof current === 'string' ? Number(current.length) : String(current));
        break;
      case 5:
        set([0, -1, 1.5, 2 ** 53, 1e308, -0, '', 'x'.repeat(1 + pick.next(70_000)), null, {}, [], true][pick.next(12)]);
        break;
      default:
        if (typeof current === 'string') set(mutateString(current, pick, ops, depth));
        else if (typeof current === 'number') set(current + [1, -1, 2 ** 32, -(2 ** 31)][pick.next(4)]!);
        else set(pick.value());
    }
  }
  return root;
}

function mutateString(s: string, pick: Chooser, ops: Op[], depth: number): string {
  if (s.length >= 4 && B64.test(s)) return mutateEncoded(s, 'base64', pick, ops, depth);
  if (s.length >= 4 && B64URL.test(s)) return mutateEncoded(s, 'base64url', pick, ops, depth);
  return mutateText(s, pick, ops, depth);
}
