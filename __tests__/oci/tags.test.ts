/**
 * `listTags`: against the real CNCF distribution 2.8 (`docker-registry`), directly (it sends every
 * tag in one answer) and behind a proxy that pages its tag list with `?n=`, `last` and
 * `Link: <…>; rel="next"` as the distribution spec says (2.8 ignores `n`); and against a scripted
 * HTTP server for the answers a hostile or broken registry can give (the malformed cases).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getManifest, putManifest } from '../../src/oci/content-manifests.js';
import { listTags, parseTagPage } from '../../src/oci/tags.js';
import { createTransport, type ClosableTransport } from '../../src/oci/transport/client.js';
import { startDistribution, type Distribution } from '../fakes/distribution.js';
import { startTagPagingProxy, type TagPagingProxy } from '../fakes/tag-paging-proxy.js';
import { pushBuildkitImage } from '../fixtures/buildkit-image.js';
import { expectCode } from '../helpers.js';
import { describeWith } from '../requirements.js';

describeWith(['docker-registry'], 'listTags against distribution 2.8', () => {
  let dist: Distribution;
  let t: ClosableTransport;
  let proxy: TagPagingProxy;
  let paged: ClosableTransport;
  const tags = ['1.0', '1.1', '2.0', 'latest', 'v3-rc.1'];

  beforeAll(async () => {
    dist = await startDistribution({ mode: 'plain' });
    t = createTransport(dist.host, { backoffMs: 10 });
    const img = await pushBuildkitImage(t, { repository: 'tags/app', tag: tags[0]!, single: true });
    const m = await getManifest(t, 'tags/app', img.digest);
    for (const tag of tags.slice(1)) await putManifest(t, 'tags/app', m.bytes, m.mediaType, tag);
    proxy = await startTagPagingProxy(dist.host);
    paged = createTransport(proxy.host, { backoffMs: 10 });
  }, 60_000);
  afterAll(async () => {
    await paged?.close();
    await proxy?.close();
    await t?.close();
    await dist?.stop();
  });

  describe('when the tags span several pages', () => {
    it.each([
      [1, 5],
      [2, 3],
      [4, 2],
      [5, 1],
    ])('follows the next links with %i tag(s) a page (%i pages) and returns every tag once', async (n, pages) => {
      const before = proxy.tagListRequests.length;
      expect(await listTags(paged, 'tags/app', { pageSize: n })).toEqual(tags);
      expect(proxy.tagListRequests.slice(before)).toHaveLength(pages);
      expect(proxy.tagListRequests[before]).toBe(`/v2/tags/app/tags/list?n=${n}`);
    });
  });

  describe('when the registry sends every tag in one answer', () => {
    it('returns every tag', async () => {
      expect(await listTags(t, 'tags/app')).toEqual(tags);
    });
  });

  describe('when the repository has more tags than allowed', () => {
    it('throws OCI_TOO_LARGE', () =>
      expectCode(() => listTags(paged, 'tags/app', { pageSize: 2, maxTags: 3 }), 'OCI_TOO_LARGE'));
  });

  describe('when the repository does not exist', () => {
    it('throws OCI_NOT_FOUND', () => expectCode(() => listTags(t, 'tags/nothing'), 'OCI_NOT_FOUND'));
  });
});

/** A registry whose tag list answers are scripted: `answer(n)` gives the n-th page (0-based). */
async function scripted(
  answer: (page: number, url: URL) => { status?: number; body: string; link?: string },
): Promise<{ host: string; pages: () => number; close: () => Promise<void> }> {
  let pages = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (!url.pathname.endsWith('/tags/list')) {
      res.writeHead(404).end();
      return;
    }
    const a = answer(pages++, url);
    res.writeHead(a.status ?? 200, {
      'content-type': 'application/json',
      ...(a.link === undefined ? {} : { link: a.link }),
    });
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    pages: () => pages,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('listTags', () => {
  const page = (tags: unknown) => JSON.stringify({ name: 'x/app', tags });

  async function listFrom(answer: Parameters<typeof scripted>[0], o = {}): Promise<string[]> {
    const server = await scripted(answer);
    const t = createTransport(server.host, { attempts: 1 });
    try {
      return await listTags(t, 'x/app', o);
    } finally {
      // Every case must have reached the tag list (not failed earlier, e.g. on the ping).
      expect(server.pages()).toBeGreaterThan(0);
      await t.close();
      await server.close();
    }
  }

  describe('when the registry answers null tags (an empty repository)', () => {
    it('returns no tags', async () => expect(await listFrom(() => ({ body: page(null) }))).toEqual([]));
  });

  describe('when pages repeat tags', () => {
    it('returns each tag once, in order', async () => {
      const got = await listFrom((n) =>
        n === 0
          ? { body: page(['a', 'b']), link: '</v2/x/app/tags/list?n=2&last=b>; rel="next"' }
          : { body: page(['b', 'c']) },
      );
      expect(got).toEqual(['a', 'b', 'c']);
    });
  });

  describe('when a next link brings no new tag', () => {
    it('throws OCI_REGISTRY_ERROR instead of paging on', async () => {
      const server = await scripted(() => ({
        body: page(['a']),
        link: '</v2/x/app/tags/list?n=1&last=a>; rel="next"',
      }));
      const t = createTransport(server.host, { attempts: 1 });
      try {
        await expectCode(() => listTags(t, 'x/app'), 'OCI_REGISTRY_ERROR');
        expect(server.pages()).toBe(2);
      } finally {
        await t.close();
        await server.close();
      }
    });
  });

  describe.each([
    ['another host', '<http://evil.example/v2/x/app/tags/list?last=a>; rel="next"'],
    ['another endpoint', '</v2/other/app/tags/list?last=a>; rel="next"'],
  ])('when the next link points to %s', (_what, link) => {
    it('throws OCI_REGISTRY_ERROR', () =>
      expectCode(() => listFrom(() => ({ body: page(['a']), link })), 'OCI_REGISTRY_ERROR'));
  });

  describe('when every page links to a next one with a new tag', () => {
    it('stops at the tag cap with OCI_TOO_LARGE', () =>
      expectCode(
        () =>
          listFrom((n) => ({ body: page([`t${n}`]), link: `</v2/x/app/tags/list?n=1&last=t${n}>; rel="next"` }), {
            maxTags: 5,
          }),
        'OCI_TOO_LARGE',
      ));
  });

  describe('when the registry answers 404 NAME_UNKNOWN', () => {
    it('throws OCI_NOT_FOUND', () =>
      expectCode(
        () =>
          listFrom(() => ({
            status: 404,
            body: '{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}',
          })),
        'OCI_NOT_FOUND',
      ));
  });

  describe('when it asks the registry', () => {
    it('sends n= on the first page', async () => {
      let query = '';
      await listFrom((_n, url) => ((query = url.search), { body: page([]) }), { pageSize: 7 });
      expect(query).toBe('?n=7');
    });
  });
});

describe('parseTagPage', () => {
  const what = 'r/x tags list';
  describe.each([
    ['not JSON', '<html>'],
    ['not an object', '["a"]'],
    ['tags not an array', '{"tags":"a"}'],
    ['a tag that is not a string', '{"tags":[1]}'],
    ['a tag outside the grammar', '{"tags":["a b"]}'],
    ['a tag carrying an escape sequence', '{"tags":["v1\\u001b[2J"]}'],
    ['a tag too long', `{"tags":["${'a'.repeat(129)}"]}`],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
  ])('when the page is %s', (_what, body) => {
    it('throws OCI_REGISTRY_ERROR', () =>
      expectCode(() => parseTagPage(typeof body === 'string' ? Buffer.from(body) : body, what), 'OCI_REGISTRY_ERROR'));
  });

  describe('when the page has no tags field', () => {
    it('returns no tags', () => expect(parseTagPage(Buffer.from('{"name":"x"}'), what)).toEqual([]));
  });
});
