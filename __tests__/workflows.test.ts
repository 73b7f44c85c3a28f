/** Every workflow and action file parses with GitHub's own parser, and the reusable pieces fit together. */
import { readFileSync, readdirSync } from 'node:fs';
import { parseWorkflow, NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';

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

  it('sign-images.yml is reusable and fans out one matrix job per image', () => {
    const text = readFileSync('.github/workflows/sign-images.yml', 'utf8');
    expect(text).toMatch(/workflow_call:/);
    expect(text).toMatch(/image: \$\{\{ fromJSON\(inputs\.images\) \}\}/);
    expect(text).toMatch(/id-token: write/);
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
