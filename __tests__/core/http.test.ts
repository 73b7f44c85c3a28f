/**
 * The HTTP primitive against a loopback server whose every answer a test scripts: retries,
 * Retry-After, timeouts (headers and body), bounded reads, redirects, and no timer left behind.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Deadline } from '../../src/core/deadline.js';
import { httpRequest } from '../../src/core/http.js';
import { expectCode } from '../helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

let server: Server;
let base: string;
let handlers: Handler[] = [];
let seen: Array<{ method: string; url: string; at: number; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', at: performance.now(), body: body.toString() });
      (handlers.shift() ?? ((_q, r) => r.writeHead(200).end('ok')))(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);
beforeEach(() => {
  handlers = [];
  seen = [];
});

const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_q, r) =>
    r.writeHead(code, headers).end(`status ${code}`);
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('httpRequest', () => {
  describe('when the server answers 200', () => {
    it('returns status, headers, body and URL, and sends method, headers and body', async () => {
      handlers = [(q, r, b) => r.writeHead(200, { 'x-echo': String(q.headers['x-test']) }).end(`got ${b.toString()}`)];
      const res = await httpRequest(`${base}/p?q=1`, { method: 'POST', headers: { 'x-test': 'yes' }, body: 'hello' });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-echo')).toBe('yes');
      expect(res.headers.get('X-Echo')).toBe('yes');
      expect(res.headers.get('x-absent')).toBeNull();
      expect(res.body.toString()).toBe('got hello');
      expect(res.url).toBe(`${base}/p?q=1`);
      expect(seen).toMatchObject([{ method: 'POST', url: '/p?q=1', body: 'hello' }]);
    });

    it('joins a repeated header with ", " in the order sent, as fetch does', async () => {
      handlers = [
        (_q, r) =>
          r
            .writeHead(200, [
              ['Link', '<a>'],
              ['link', '<b>'],
              ['Vary', 'x'],
            ])
            .end(),
      ];
      const res = await httpRequest(`${base}/h`);
      expect(res.headers.get('link')).toBe('<a>, <b>');
      expect(res.headers.get('vary')).toBe('x');
    });

    it('leaves no timer behind once the body is read', async () => {
      const before = timers();
      let during = 0;
      handlers = Array.from({ length: 20 }, (): Handler => (_q, r) => {
        during = Math.max(during, timers());
        r.writeHead(200).end('ok');
      });
      await Promise.all(Array.from({ length: 20 }, () => httpRequest(`${base}/t`, { timeoutMs: 60_000 })));
      expect(during).toBeGreaterThan(before); // the per-attempt timeout is armed while the request runs
      expect(timers()).toBeLessThanOrEqual(before);
    });
  });

  describe('when the server answers 503 twice', () => {
    it('retries with backoff and returns the third answer', async () => {
      handlers = [status(503), status(503), status(200)];
      const res = await httpRequest(`${base}/r`, { backoffMs: 1 });
      expect(res.status).toBe(200);
      expect(seen).toHaveLength(3);
    });
  });

  describe('when the server keeps answering 503', () => {
    it("returns the last 503 after all attempts (statuses are the caller's to map)", async () => {
      handlers = [status(503), status(503), status(503)];
      const res = await httpRequest(`${base}/r`, { backoffMs: 1, attempts: 3 });
      expect(res.status).toBe(503);
      expect(seen).toHaveLength(3);
    });
  });

  describe('when a retriable status is listed in noRetryStatuses', () => {
    it('returns it at once', async () => {
      handlers = [status(503)];
      expect((await httpRequest(`${base}/n`, { noRetryStatuses: [503] })).status).toBe(503);
      expect(seen).toHaveLength(1);
    });
  });

  describe('when a 429 carries Retry-After', () => {
    it('waits at least that long before the next attempt', async () => {
      handlers = [status(429, { 'retry-after': '1' }), status(200)];
      const res = await httpRequest(`${base}/ra`, { backoffMs: 1 });
      expect(res.status).toBe(200);
      expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
    });
  });

  describe('when the server never answers', () => {
    it('throws CORE_HTTP_TIMEOUT', () => {
      handlers = [() => {}, () => {}];
      return expectCode(
        () => httpRequest(`${base}/hang`, { timeoutMs: 100, attempts: 2, backoffMs: 1 }),
        'CORE_HTTP_TIMEOUT',
      );
    });
  });

  describe('when the body stalls after the headers', () => {
    it('throws CORE_HTTP_TIMEOUT', () => {
      handlers = [
        (_q, r) => {
          r.writeHead(200);
          r.write('partial');
        },
      ];
      return expectCode(() => httpRequest(`${base}/stall`, { timeoutMs: 150, attempts: 1 }), 'CORE_HTTP_TIMEOUT');
    });
  });

  describe('when the total time runs out before the attempts', () => {
    it('throws CORE_HTTP_TIMEOUT', () => {
      handlers = Array.from({ length: 10 }, () => status(503));
      return expectCode(
        () => httpRequest(`${base}/total`, { attempts: 10, backoffMs: 200, totalTimeoutMs: 300 }),
        'CORE_HTTP_TIMEOUT',
      );
    });
  });

  describe('when nothing listens', () => {
    it('throws CORE_HTTP_ERROR after its attempts', () =>
      expectCode(() => httpRequest('http://127.0.0.1:1/x', { attempts: 2, backoffMs: 1 }), 'CORE_HTTP_ERROR'));
  });

  describe('when the server drops the connection once', () => {
    it('retries and returns the next answer', async () => {
      handlers = [(q) => q.socket.destroy(), status(200)];
      expect((await httpRequest(`${base}/drop`, { backoffMs: 1 })).status).toBe(200);
    });
  });

  describe('when the body is larger than maxBytes', () => {
    it('throws CORE_TOO_LARGE for a declared length', () => {
      handlers = [(_q, r) => r.writeHead(200, { 'content-length': '100' }).end('x'.repeat(100))];
      return expectCode(() => httpRequest(`${base}/big`, { maxBytes: 10 }), 'CORE_TOO_LARGE');
    });

    it('throws CORE_TOO_LARGE for a chunked body, without retrying', async () => {
      handlers = [
        (_q, r) => {
          r.writeHead(200);
          r.write('x'.repeat(8));
          r.end('y'.repeat(8));
        },
      ];
      await expectCode(() => httpRequest(`${base}/chunked`, { maxBytes: 10 }), 'CORE_TOO_LARGE');
      expect(seen).toHaveLength(1);
    });
  });

  describe('when an error answer has a large body', () => {
    it('caps it at the error-body limit', () => {
      handlers = [(_q, r) => r.writeHead(400).end('e'.repeat(70 * 1024))];
      return expectCode(() => httpRequest(`${base}/err`, { maxBytes: 1024 * 1024 }), 'CORE_TOO_LARGE');
    });
  });

  describe('when the server redirects', () => {
    it('returns the 3xx with its Location under redirect "manual"', async () => {
      handlers = [status(307, { location: '/elsewhere' })];
      const res = await httpRequest(`${base}/from`, { redirect: 'manual' });
      expect(res.status).toBe(307);
      expect(res.headers.get('location')).toBe('/elsewhere');
      expect(seen).toHaveLength(1);
    });

    it('follows it by default and reports the final URL', async () => {
      handlers = [status(302, { location: '/to' }), (_q, r) => r.writeHead(200).end('there')];
      const res = await httpRequest(`${base}/from`);
      expect(res.body.toString()).toBe('there');
      expect(res.url).toBe(`${base}/to`);
    });

    it('fails under redirect "error"', () => {
      handlers = [status(302, { location: '/to' })];
      return expectCode(() => httpRequest(`${base}/from`, { redirect: 'error', attempts: 1 }), 'CORE_HTTP_ERROR');
    });

    it('turns a 303 after a POST into a GET without its body', async () => {
      handlers = [status(303, { location: '/result' })];
      const res = await httpRequest(`${base}/submit`, {
        method: 'POST',
        body: 'payload',
        headers: { 'content-type': 'text/plain' },
      });
      expect(res.status).toBe(200);
      expect(seen.map((q) => [q.method, q.url, q.body])).toEqual([
        ['POST', '/submit', 'payload'],
        ['GET', '/result', ''],
      ]);
    });

    it('keeps method and body on a 307', async () => {
      handlers = [status(307, { location: '/again' })];
      await httpRequest(`${base}/put`, { method: 'PUT', body: 'same' });
      expect(seen.map((q) => [q.method, q.body])).toEqual([
        ['PUT', 'same'],
        ['PUT', 'same'],
      ]);
    });

    it('does not carry the authorization header to another origin', async () => {
      const other = base.replace('127.0.0.1', 'localhost');
      const auth: Array<string | undefined> = [];
      const record =
        (next: Handler): Handler =>
        (q, r, b) => {
          auth.push(q.headers.authorization);
          next(q, r, b);
        };
      handlers = [record(status(302, { location: `${base}/same` })), record(status(302, { location: `${other}/x` }))];
      handlers.push(record((_q, r) => r.writeHead(200).end('done')));
      await httpRequest(`${base}/start`, { headers: { authorization: 'Bearer secret' } });
      expect(auth).toEqual(['Bearer secret', 'Bearer secret', undefined]);
    });

    it('gives up after 20 redirects', async () => {
      handlers = Array.from({ length: 21 }, (_, i) => status(302, { location: `/hop${i}` }));
      await expectCode(() => httpRequest(`${base}/loop`, { attempts: 1 }), 'CORE_HTTP_ERROR');
      expect(seen).toHaveLength(21);
    });
  });

  describe('with a deadline', () => {
    const budget = (ms: number) => new Deadline(ms, { setting: '--timeout' });
    const stall: Handler = (_q, r) => {
      r.writeHead(200, { 'content-length': '100' });
      r.write('partial');
    };

    describe.each(['manual', 'follow'] as const)('when the body stalls after the headers (redirect %s)', (redirect) => {
      it('throws CORE_BUDGET_EXCEEDED when the budget ends, not after the per-attempt timeouts', async () => {
        handlers = [stall, stall, stall, stall];
        const start = performance.now();
        await expectCode(
          () => httpRequest(`${base}/stall`, { redirect, deadline: budget(400), backoffMs: 1 }),
          'CORE_BUDGET_EXCEEDED',
        );
        // The per-attempt timeout (30 s) and total time (120 s) are far away: only the budget ended it.
        expect(performance.now() - start).toBeLessThan(400 + 2500);
      });
    });

    describe('when a retry would start after the budget ends', () => {
      it('does not start it and throws CORE_BUDGET_EXCEEDED at once, naming the last answer', async () => {
        handlers = [status(429, { 'retry-after': '10' }), status(200)];
        const start = performance.now();
        let message = '';
        await expectCode(async () => {
          try {
            await httpRequest(`${base}/later`, { deadline: budget(2000), what: 'GET /later' });
          } catch (err) {
            message = (err as Error).message;
            throw err;
          }
        }, 'CORE_BUDGET_EXCEEDED');
        expect(performance.now() - start).toBeLessThan(3000); // not the 10 s Retry-After
        expect(seen).toHaveLength(1);
        expect(message).toMatch(/^GET \/later: the 2s time budget \(--timeout\) ran out after HTTP 429: retry 2/);
      });
    });

    describe('when every answer is a 503', () => {
      it('spends the budget on retries and stops at it', async () => {
        handlers = Array.from({ length: 20 }, () => status(503));
        const start = performance.now();
        await expectCode(
          () => httpRequest(`${base}/busy`, { attempts: 20, backoffMs: 100, deadline: budget(700) }),
          'CORE_BUDGET_EXCEEDED',
        );
        expect(performance.now() - start).toBeLessThan(700 + 2500);
        expect(seen.length).toBeGreaterThan(1);
        expect(seen.length).toBeLessThan(20);
      });
    });

    describe('when the budget is already spent', () => {
      it('sends nothing', async () => {
        let t = 0;
        const spent = new Deadline(10, { setting: '--timeout', now: () => t });
        t = 10;
        await expectCode(() => httpRequest(`${base}/never`, { deadline: spent }), 'CORE_BUDGET_EXCEEDED');
        expect(seen).toHaveLength(0);
      });
    });

    describe('when the server answers in time', () => {
      it('retries and returns the answer; the deadline itself arms no timer', async () => {
        const before = timers();
        const deadline = budget(5000);
        expect(timers()).toBe(before);
        handlers = [status(503), status(200)];
        const res = await httpRequest(`${base}/ok`, { deadline, backoffMs: 1 });
        expect(res.status).toBe(200);
        expect(seen).toHaveLength(2);
      });
    });
  });
});
