/**
 * `verify IMG…` and `verify --file LIST` against the real registry: many images in one call,
 * concurrently, one line each naming the image, the worst outcome as exit status, `--json` an array.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cli, startConsumerStack, withRegistry, type ConsumerStack } from './consumer-stack.js';

withRegistry('verify with several images', () => {
  let s: ConsumerStack;
  let signed: string[];
  let unsigned: string;

  beforeAll(async () => {
    s = await startConsumerStack();
    signed = [];
    for (let n = 0; n < 19; n++) signed.push((await s.push({ repository: `acme/app${n}`, tag: `v${n}` })).ref);
    unsigned = (await s.push({ repository: 'acme/unsigned', tag: 'v1' })).ref;
    await s.sign(signed);
  }, 120_000);
  afterAll(() => s?.stop());

  describe('when 20 images are given and one is not signed', () => {
    let r: Awaited<ReturnType<typeof cli>>;
    beforeAll(async () => {
      const images = [...signed.slice(0, 7), unsigned, ...signed.slice(7)];
      r = await cli('verify', ...images, ...s.trustFlags);
    }, 120_000);

    it('prints 19 pass lines and 1 fail line, each naming its image', () => {
      const lines = r.out.trim().split('\n');
      expect(lines).toHaveLength(20);
      expect(lines.filter((l) => l.startsWith('PASS  '))).toHaveLength(19);
      const fails = lines.filter((l) => l.startsWith('FAIL  '));
      expect(fails).toHaveLength(1);
      expect(fails[0]).toContain(unsigned);
      expect(fails[0]).toMatch(/: expected 1 distinct signer\(s\) of \[signer\], got 0; rule \*\*$/);
      for (const image of signed) expect(lines.filter((l) => l.startsWith(`PASS  ${image}  sha256:`))).toHaveLength(1);
    });

    it('keeps the order of the command line', () => {
      expect(r.out.trim().split('\n')[7]).toContain(unsigned);
    });

    it('exits 1', () => expect(r.code).toBe(1));
  });

  describe('when every image is signed', () => {
    it('exits 0', async () => {
      const r = await cli('verify', ...signed.slice(0, 3), ...s.trustFlags);
      expect(
        r.out
          .trim()
          .split('\n')
          .map((l) => l.slice(0, 4)),
      ).toEqual(['PASS', 'PASS', 'PASS']);
      expect(r.code).toBe(0);
    });
  });

  describe('with --file', () => {
    it('reads one reference a line, skipping blank lines and comments', async () => {
      const list = path.join(s.dir, 'images.txt');
      await writeFile(list, `# base images\n${signed[0]}\n\n  ${signed[1]}   # the runtime\n#${unsigned}\n`);
      const r = await cli('verify', '--file', list, ...s.trustFlags);
      expect(r.out.trim().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^PASS  ${signed[0]}  .*; rule \\*\\*$`)),
        expect.stringMatching(new RegExp(`^PASS  ${signed[1]}  .*; rule \\*\\*$`)),
      ]);
      expect(r.code).toBe(0);
    });

    it('adds the list to images on the command line, and an image that does not exist fails its own line', async () => {
      const list = path.join(s.dir, 'missing.txt');
      await writeFile(list, `${s.registry.host}/acme/nothing:here\n`);
      const r = await cli('verify', signed[2]!, '--file', list, ...s.trustFlags);
      const lines = r.out.trim().split('\n');
      expect(lines[0]).toMatch(/^PASS {2}/);
      expect(lines[1]).toMatch(new RegExp(`^FAIL  ${s.registry.host}/acme/nothing:here  .*OCI_NOT_FOUND`));
      expect(r.code).toBe(1);
    });

    it('is a usage error when the list cannot be read', async () => {
      const r = await cli('verify', '--file', path.join(s.dir, 'absent.txt'), ...s.trustFlags);
      expect(r).toMatchObject({ code: 2, err: expect.stringContaining('--file') });
    });
  });

  describe('with --json', () => {
    it('prints an array with one report per image', async () => {
      const r = await cli('verify', signed[0]!, unsigned, '--json', ...s.trustFlags);
      const reports = JSON.parse(r.out);
      expect(reports.map((x: { image: string; passed: boolean }) => [x.image, x.passed])).toEqual([
        [signed[0], true],
        [unsigned, false],
      ]);
      expect(r.code).toBe(1);
    });
  });

  describe('with one image', () => {
    it('prints the full report as before', async () => {
      const r = await cli('verify', signed[0]!, ...s.trustFlags);
      expect(r.out).toContain('verified: 2 platform(s)');
      expect(r.code).toBe(0);
    });

    it('refuses --vsa with several images', async () => {
      const r = await cli('verify', signed[0]!, signed[1]!, '--vsa', path.join(s.dir, 'v.json'), ...s.trustFlags);
      expect(r).toMatchObject({ code: 2, err: expect.stringContaining('--vsa takes one image') });
    });
  });

  it('is a usage error without images', async () => {
    expect(await cli('verify', ...s.trustFlags)).toMatchObject({ code: 2, err: expect.stringContaining('IMAGE') });
  });
});
