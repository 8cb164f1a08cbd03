// The reconnection, Last-Event-ID, status and MIME behaviours of the
// web-platform-tests (test/fixtures/conformance/wpt-reconnect-tests.md) that
// apply to a fetch client, against a real local HTTP server. Retry times are
// scaled down from the suite's seconds to keep the run short.
import { afterEach, describe, expect, test } from 'vitest';
import { connect, EventSource, SSEResponseError } from '../../src/client/index.ts';
import { type Handle, send, startServer, status, until } from './client-server.ts';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handle: Handle) {
  const server = await startServer(handle);
  servers.push(server);
  return server;
}

async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) {
    out.push(item);
    if (out.length === count) break;
  }
  return out;
}

/** WPT's last-event-id.py: the id first, then echo the Last-Event-ID it was sent. */
const lastEventIdPy =
  (id: string, retry = 20): Handle =>
  (req, res) => {
    const sent = req.headers['last-event-id'];
    if (sent === undefined) send(res, `id: ${id}\nretry: ${retry}\ndata: hello\n\n`);
    else send(res, `data: ${Buffer.from(String(sent), 'latin1').toString('utf8')}\n\n`);
  };

describe('Last-Event-ID', () => {
  test('format-field-id(-2): the id persists across reconnections and is sent as UTF-8', async () => {
    const server = await serve(lastEventIdPy('\u2026'));
    const events = await take(connect(server.url), 3);
    expect(events.map(({ data, lastEventId }) => [data, lastEventId])).toEqual([
      ['hello', '…'],
      ['…', '…'],
      ['…', '…'],
    ]);
    expect(server.requests[1]!.bytes('last-event-id')).toEqual([0xe2, 0x80, 0xa6]);
    expect(server.requests[2]!.bytes('last-event-id')).toEqual([0xe2, 0x80, 0xa6]);
  });

  test('format-field-id through the EventSource class', async () => {
    const server = await serve(lastEventIdPy('\u2026'));
    const source = new EventSource(server.url);
    const seen: string[][] = [];
    source.onmessage = (event) => seen.push([event.data, event.lastEventId]);
    await until(() => seen.length === 2);
    source.close();
    expect(seen).toEqual([
      ['hello', '…'],
      ['…', '…'],
    ]);
  });

  test.each(['\0\0', 'x\0', '\0x', 'x\0x', ' \0'])(
    'format-field-id-null: id %j is ignored and never sent',
    async (id) => {
      const server = await serve(lastEventIdPy(id));
      const events = await take(connect(server.url), 2);
      expect(events.map(({ data, lastEventId }) => [data, lastEventId])).toEqual([
        ['hello', ''],
        ['hello', ''],
      ]);
      expect(server.requests[1]!.headers['last-event-id']).toBeUndefined();
    },
  );

  test('format-data-before-final-empty-line: an unfinished event commits no id', async () => {
    const server = await serve((_, res) =>
      send(res, 'retry:20\ndata:test1\n\nid:test\ndata:test2\n'),
    );
    const events = await take(connect(server.url), 2);
    expect(events.map(({ data, lastEventId }) => [data, lastEventId])).toEqual([
      ['test1', ''],
      ['test1', ''],
    ]);
    expect(server.requests[1]!.headers['last-event-id']).toBeUndefined();
  });
});

describe('retry', () => {
  test.each([
    ['format-field-retry', 'retry:0400\ndata:x\n\n\n'],
    ['format-field-retry-bogus', 'retry:400\nretry:100x\ndata:x\n\n\n'],
  ])('%s: the reconnection waits the retry time (±25%%)', async (_, body) => {
    let ended = 0;
    const server = await serve((_, res, n) => {
      if (n === 0) {
        res.once('finish', () => {
          ended = performance.now();
        });
      }
      send(res, body);
    });
    await take(connect(server.url), 2);
    const delay = server.requests[1]!.at - ended;
    expect(delay).toBeGreaterThanOrEqual(300);
    expect(delay).toBeLessThanOrEqual(500);
  });
});

describe('reconnection and closing', () => {
  test.each([false, true])(
    'eventsource-reconnect (ok_first %s): a stream end reconnects, with error and CONNECTING between',
    async (okFirst) => {
      const server = await serve((_, res, n) => {
        if (n === 0) return send(res, `retry: 2\n${okFirst ? 'data: ok\n\n' : ''}`);
        // The second response stays open: no further reconnection to race with.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: data\n\n');
      });
      const source = new EventSource(server.url);
      const log: string[] = [];
      source.onmessage = (event) => log.push(event.data);
      source.onerror = () => log.push(`error@${source.readyState}`);
      await until(() => log.includes('data'));
      source.close();
      expect(log).toEqual([...(okFirst ? ['ok'] : []), 'error@0', 'data']);
    },
  );

  test('a connection cut mid-event reconnects; the unfinished event is dropped', async () => {
    const server = await serve((_, res, n) => {
      if (n > 0) return send(res, 'data: after\n\n');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 10\nid: 1\ndata: before\n\nid: 2\ndata: cut');
      setTimeout(() => res.destroy(), 20);
    });
    const infos: unknown[] = [];
    const events = await take(connect(server.url, { onReconnect: (i) => infos.push(i.error) }), 2);
    expect(events.map(({ data, lastEventId }) => [data, lastEventId])).toEqual([
      ['before', '1'],
      ['after', '1'],
    ]);
    expect(server.requests[1]!.headers['last-event-id']).toBe('1');
    expect(infos[0]).toBeInstanceOf(Error);
  });

  test('eventsource-close: 200, 200, then 204 closes for good', async () => {
    const server = await serve((_, res, n) =>
      n % 3 === 0
        ? send(res, 'retry: 2\ndata: opened\n\n')
        : n % 3 === 1
          ? send(res, 'data: reconnected\n\n')
          : status(res, 204),
    );
    const source = new EventSource(server.url);
    const log: string[] = [];
    source.onmessage = (event) => log.push(event.data);
    source.onerror = () => log.push(`error@${source.readyState}`);
    await until(() => source.readyState === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log).toEqual(['opened', 'error@0', 'reconnected', 'error@0', 'error@2']);
    expect(server.requests).toHaveLength(3);

    const events = await take(connect(server.url), 10);
    expect(events.map((event) => event.data)).toEqual(['opened', 'reconnected']);
    expect(server.requests).toHaveLength(6);
  });

  test.each([204, 205, 210, 299, 404, 410, 503])(
    'request-status-error %i: one error, CLOSED, no message, no reconnection',
    async (code) => {
      const server = await serve((_, res) => status(res, code, 'data: no\n\n'));
      const source = new EventSource(server.url, { retryDelay: 1 });
      const log: string[] = [];
      source.onmessage = (event) => log.push(event.data);
      source.onerror = () => log.push(`error@${source.readyState}`);
      await until(() => source.readyState === 2);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(log).toEqual(['error@2']);
      expect(server.requests).toHaveLength(1);
    },
  );

  test('a refusal explains itself: the body of a 401 is readable after the iteration', async () => {
    const server = await serve((_, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"token expired"}');
    });
    let error: unknown;
    try {
      for await (const _ of connect(server.url));
    } catch (cause) {
      error = cause;
    }
    expect(error).toBeInstanceOf(SSEResponseError);
    expect(await (error as SSEResponseError).response.json()).toEqual({ error: 'token expired' });
  });

  test('eventsource-request-cancellation: abort closes the connection and nothing follows', async () => {
    const server = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    });
    const controller = new AbortController();
    const connection = connect(server.url, { signal: controller.signal, retryDelay: 1 });
    const events: string[] = [];
    for await (const event of connection) {
      events.push(event.data);
      controller.abort();
    }
    await server.requests[0]!.closed;
    expect(events).toEqual(['first']);
    expect(connection.readyState).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.requests).toHaveLength(1);
  });
});

describe('MIME types and request headers', () => {
  test.each(['x bogus', 'text/x-bogus'])('format-mime %j fails the connection', async (type) => {
    const server = await serve((_, res) => send(res, 'data: data\n\n\n', type));
    const source = new EventSource(server.url);
    const log: string[] = [];
    source.onmessage = (event) => log.push(event.data);
    source.onerror = () => log.push(`error@${source.readyState}`);
    await until(() => source.readyState === 2);
    expect(log).toEqual(['error@2']);
  });

  test.each([
    ['text/event-stream;', 'data: data\n\n', 'data'],
    ['text/event-stream;charset=windows-1252', 'data:ok…\n\n', 'ok…'],
    ['Text/Event-Stream ; charset=utf-8', 'data: x\n\n', 'x'],
  ])('content type %j is an event stream, always UTF-8', async (type, body, data) => {
    const server = await serve((_, res) => send(res, body, type));
    const [event] = await take(connect(server.url), 1);
    expect(event!.data).toBe(data);
  });

  test('request-accept and request-cache-control', async () => {
    const server = await serve((_, res) => status(res, 204));
    await take(connect(server.url), 1);
    expect(server.requests[0]!.headers.accept).toBe('text/event-stream');
    expect(server.requests[0]!.headers['cache-control']).toBe('no-cache');
  });

  test('headers from a function per attempt, with method and body', async () => {
    let bodies: string[] = [];
    const server = await serve((req, res, n) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        bodies = [...bodies, body];
        n === 0 ? send(res, 'id: 5\ndata: a\n\n') : status(res, 204);
      });
    });
    let token = 0;
    const events = await take(
      connect(server.url, {
        method: 'POST',
        body: 'prompt',
        reconnect: true,
        retryDelay: 1,
        headers: () => ({ authorization: `Bearer ${++token}` }),
      }),
      5,
    );
    expect(events.map((event) => event.data)).toEqual(['a']);
    expect(server.requests.map((r) => [r.method, r.headers.authorization])).toEqual([
      ['POST', 'Bearer 1'],
      ['POST', 'Bearer 2'],
    ]);
    expect(bodies).toEqual(['prompt', 'prompt']);
    expect(server.requests[1]!.headers['last-event-id']).toBe('5');
  });
});
