/** Every workflow and action file parses with GitHub's own parser, and the reusable pieces fit together. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { parseWorkflow, NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { parse as parseYaml } from 'yaml';

const workflows = readdirSync('.github/workflows').filter((f) => f.endsWith('.yml'));

function errorsOf(result: { context: { errors: { getErrors(): Array<{ message: string }> } } }): string[] {
  return result.context.errors.getErrors().map((e) => e.message);
}

describe('workflow files', () => {
  it.each(workflows)('%s parses without errors', (name) => {
    const result = parseWorkflow(
      { name, content: readFileSync(`.github/workflows/${name}`, 'utf8') },
      new NoOperationTraceWriter(),
    );
    expect(errorsOf(result)).toEqual([]);
  });

  describe('when a workflow is broken', () => {
    it('reports errors (the check can fail)', () => {
      const result = parseWorkflow(
        { name: 'bad.yml', content: 'on: push\njobs:\n  x:\n    runs-on: [\n' },
        new NoOperationTraceWriter(),
      );
      expect(errorsOf(result).length).toBeGreaterThan(0);
    });
  });

  it.each(workflows)('%s pastes no expression into a run: script (inputs reach scripts through env:)', (name) => {
    const wf = parseYaml(readFileSync(`.github/workflows/${name}`, 'utf8')) as Workflow;
    const scripts = Object.values(wf.jobs).flatMap((j) => (j.steps ?? []).map((st) => st.run ?? ''));
    expect(scripts.filter((r) => r.includes('${{'))).toEqual([]);
  });

  describe('sign-images.yml', () => {
    const wf = parseYaml(readFileSync('.github/workflows/sign-images.yml', 'utf8')) as Workflow;
    const perJobDefault = wf.on.workflow_call.inputs['images-per-job']!.default as number;
    const fleet = (n: number): string[] =>
      Array.from({ length: n }, (_, i) => `ghcr.io/acme/app-${i}@sha256:${'0'.repeat(63)}${i % 10}`);

    it('is reusable and signs with an OIDC token', () => {
      expect(wf.on.workflow_call).toBeDefined();
      expect(wf.jobs['sign']!.permissions['id-token']).toBe('write');
      expect(wf.jobs['sign']!.steps!.some((st) => st.uses?.startsWith('actions/upload-artifact'))).toBe(true);
    });

    it.each([
      [1, undefined, 1],
      [4, undefined, 1],
      [600, undefined, 150],
      [1000, undefined, 250],
      [600, 1, 200],
      [1200, 1, 240],
    ])('splits %i images (images-per-job %s) into %i jobs, each image in exactly one job', (n, perJob, jobs) => {
      const images = fleet(n);
      const inputs = { images: JSON.stringify(images), 'images-per-job': perJob ?? perJobDefault };
      const plan = runStep(wf.jobs['plan']!, 'plan', { inputs });
      const needs = {
        plan: { outputs: evaluateOutputs(wf.jobs['plan']!.outputs!, { steps: { plan: { outputs: plan } } }) },
      };
      const matrix = evaluate(wf.jobs['sign']!.strategy!.matrix['chunk'] as string, { inputs, needs }) as number[];
      expect(matrix).toHaveLength(jobs);
      expect(matrix.length).toBeLessThanOrEqual(256);
      // Each job's slice, run as the runner would for a sample of jobs (spawning bash for all is slow);
      // per-job × jobs covers the list exactly once, so the sampled slices pin the rest.
      const per = Number(needs.plan.outputs['per-job']);
      expect((matrix.length - 1) * per).toBeLessThan(n);
      expect(matrix.length * per).toBeGreaterThanOrEqual(n);
      expect(matrix).toEqual(Array.from({ length: jobs }, (_, k) => k));
      const sample = [...new Set([0, 1, Math.floor(jobs / 2), jobs - 2, jobs - 1].filter((k) => k >= 0))];
      for (const chunk of sample) {
        const picked = runStep(wf.jobs['sign']!, 'pick', { inputs, needs, matrix: { chunk } })['images']!.split('\n');
        expect(picked.filter(Boolean)).toEqual(images.slice(chunk * per, (chunk + 1) * per));
      }
    });

    it('refuses images that are not a JSON list of strings', () => {
      expect(() => runStep(wf.jobs['plan']!, 'plan', { inputs: { images: '{"a":1}', 'images-per-job': 4 } })).toThrow();
    });
  });

  it('resign.yml is dispatched by hand and reuses sign-images.yml', () => {
    const text = readFileSync('.github/workflows/resign.yml', 'utf8');
    expect(text).toMatch(/workflow_dispatch:/);
    expect(text).toMatch(/uses: \.\/\.github\/workflows\/sign-images\.yml/);
  });
});

describe('action files', () => {
  it.each(['action.yml', 'verify/action.yml'])('%s parses without errors', (name) => {
    const result = parseAction({ name, content: readFileSync(name, 'utf8') }, new NoOperationTraceWriter());
    expect(errorsOf(result)).toEqual([]);
  });
});

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  outputs?: Record<string, string>;
  permissions: Record<string, string>;
  strategy?: { matrix: Record<string, unknown> };
  steps?: Step[];
}
interface Workflow {
  on: { workflow_call: { inputs: Record<string, { default?: unknown }> } };
  jobs: Record<string, Job>;
}

/** Evaluates one `${{ … }}` expression with GitHub's own evaluator; returns a plain value. */
function evaluate(template: string, context: Record<string, unknown>): unknown {
  const m = /^\$\{\{(.*)\}\}$/s.exec(template.trim());
  if (m === null) return template;
  const lexed = new Lexer(m[1]!).lex();
  const expr = new Parser(lexed.tokens, Object.keys(context), []).parse();
  const value = new Evaluator(expr, toData(context) as data.Dictionary).evaluate();
  return JSON.parse(JSON.stringify(toPlain(value)));
}

function evaluateOutputs(outputs: Record<string, string>, context: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, evaluate(v, context)]));
}

function toData(v: unknown): data.ExpressionData {
  if (typeof v === 'string') return new data.StringData(v);
  if (typeof v === 'number') return new data.NumberData(v);
  if (typeof v === 'boolean') return new data.BooleanData(v);
  if (Array.isArray(v)) return new data.Array(...v.map(toData));
  if (v !== null && typeof v === 'object')
    return new data.Dictionary(...Object.entries(v).map(([key, value]) => ({ key, value: toData(value) })));
  return new data.Null();
}

function toPlain(d: data.ExpressionData): unknown {
  if (d instanceof data.Array) return d.values().map(toPlain);
  if (d instanceof data.Dictionary) return Object.fromEntries(d.pairs().map((p) => [p.key, toPlain(p.value)]));
  if (d instanceof data.Null) return null;
  return (d as unknown as { value: unknown }).value;
}

/** Runs a step's `run:` script with bash as the runner does (env evaluated, GITHUB_OUTPUT read back). */
function runStep(job: Job, id: string, context: Record<string, unknown>): Record<string, string> {
  const step = job.steps!.find((st) => st.id === id)!;
  const dir = mkdtempSync(join(tmpdir(), 'wf-step-'));
  try {
    const output = join(dir, 'output');
    writeFileSync(output, '');
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, String(evaluate(v, context))]));
    execFileSync('bash', ['-e', '-c', step.run!], {
      env: { PATH: process.env['PATH'], GITHUB_OUTPUT: output, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return parseOutputs(readFileSync(output, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GITHUB_OUTPUT's format: `name=value` lines and `name<<DELIM` … `DELIM` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]!);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i]!.includes('=')) {
      const at = lines[i]!.indexOf('=');
      out[lines[i]!.slice(0, at)] = lines[i]!.slice(at + 1);
    }
  }
  return out;
}
