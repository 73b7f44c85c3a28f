/**
 * Tag-list pagination in front of the real registry. Debian's CNCF distribution 2.8.2 answers
 * `GET /v2/<name>/tags/list` with every tag and ignores `?n=` (pagination arrived in distribution
 * 3), so this proxy adds it as the distribution spec ("Listing Tags") says and distribution 3 does:
 * with `n`, at most `n` tags in lexical order after `last`, and `Link: </v2/<name>/tags/list?n=…&last=…>;
 * rel="next"` while more remain. The tags themselves come from the real registry (one upstream
 * tag list per page); every other request is forwarded unchanged (Host rewritten, `Location`s
 * kept on the proxy). Records the tag-list requests it answered. Loopback only.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The running proxy. */
export interface TagPagingProxy {
  /** `127.0.0.1:PORT`, as written in references. */
  host: string;
  /** Path and query of every tag-list request answered, in order. */
  tagListRequests: string[];
  close(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * Starts the proxy.
 * @param upstream - the real registry, `127.0.0.1:PORT`
 */
export async function startTagPagingProxy(upstream: string): Promise<TagPagingProxy> {
  const tagListRequests: string[] = [];
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (d: Buffer) => body.push(d));
    req.on('end', () => void handle(req, Buffer.concat(body), res));
  });
  const self = (): string => `127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function handle(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const list = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    try {
      if (req.method === 'GET' && list && url.searchParams.has('n')) {
        tagListRequests.push(`${url.pathname}${url.search}`);
        return await page(req, url, list[1]!, res);
      }
      const up = await forward(req, req.url ?? '/', body);
      const headers = { ...up.headers };
      if (typeof headers.location === 'string') headers.location = headers.location.replace(upstream, self());
      res.writeHead(up.status, headers).end(up.body);
    } catch {
      res.writeHead(502).end();
    }
  }

  /** One page, cut from the registry's whole list as the spec defines `n` and `last`. */
  async function page(req: IncomingMessage, url: URL, name: string, res: ServerResponse): Promise<void> {
    const up = await forward(req, url.pathname, Buffer.alloc(0));
    if (up.status !== 200) {
      res.writeHead(up.status, up.headers).end(up.body);
      return;
    }
    const n = Number(url.searchParams.get('n'));
    const last = url.searchParams.get('last');
    const all = ((JSON.parse(up.body.toString('utf8')) as { tags: string[] | null }).tags ?? []).sort();
    const after = last === null ? all : all.filter((t) => t > last);
    const tags = after.slice(0, n);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (after.length > n) {
      const next = new URLSearchParams({ n: String(n), last: tags[tags.length - 1]! });
      headers.link = `</v2/${name}/tags/list?${next.toString()}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify({ name, tags }));
  }

  function forward(req: IncomingMessage, path: string, body: Buffer): Promise<Upstream> {
    const [host, port] = upstream.split(':');
    return new Promise((resolve, reject) => {
      const up = request(
        { host, port: Number(port), method: req.method, path, headers: { ...req.headers, host: upstream } },
        (upRes) => {
          const chunks: Buffer[] = [];
          upRes.on('data', (d: Buffer) => chunks.push(d));
          upRes.on('end', () =>
            resolve({ status: upRes.statusCode ?? 502, headers: upRes.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: self(),
    tagListRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
