// What connect and EventSource do with a server that misbehaves: huge retry
// values, streams that deliver nothing, huge ids, refusals with a body.
import { describe, expect, test } from 'vitest';
import {
  connect,
  EventSource,
  type ReconnectInfo,
  SSEResponseError,
} from '../../src/client/index.ts';
import { backoff } from '../../src/client/reconnect-delay.ts';
import { SSEOptionError } from '../../src/index.ts';
import { collect, mockFetch, type Reply, thrown } from './client-helpers.ts';

const MAX_TIMER = 2 ** 31 - 1;

/** The reconnection infos of a connection, closed once it has `count` of them. */
async function reconnections(count: number, fetch: typeof globalThis.fetch, options = {}) {
  const infos: ReconnectInfo[] = [];
  const connection = connect('http://test/', {
    fetch,
    ...options,
    onReconnect: (info) => {
      infos.push(info);
      if (infos.length === count) connection.close();
    },
  });
  await collect(connection);
  return infos;
}

describe('retry is clamped', () => {
  test.each(['9999999999', '2147483648', `1${'0'.repeat(30)}`])(
    'retry: %s waits maxRetryDelay',
    async (retry) => {
      const { fetch } = mockFetch({ body: `retry: ${retry}\ndata: a\n\n` });
      const [info] = await reconnections(1, fetch, { maxRetryDelay: 5000 });
      expect(info!.delay).toBe(5000);
    },
  );

  test('maxRetryDelay and retryDelay never set a timer past 2^31-1 ms', async () => {
    const { fetch } = mockFetch({ body: `retry: ${2 ** 40}\ndata: a\n\n` });
    const [info] = await reconnections(1, fetch, { maxRetryDelay: 2 ** 40 });
    expect(info!.delay).toBe(MAX_TIMER);
    const { fetch: plain } = mockFetch({ body: 'data: a\n\n' });
    const [first] = await reconnections(1, plain, { retryDelay: 2 ** 40 });
    expect(first!.delay).toBe(MAX_TIMER);
  });

  test('a Retry-After is clamped to maxRetryDelay', async () => {
    const { fetch } = mockFetch({ status: 503, headers: { 'retry-after': '99999999999' } });
    const [info] = await reconnections(1, fetch, { retryStatus: true, maxRetryDelay: 700 });
    expect(info!.delay).toBe(700);
  });

  test.each([-1, Number.NaN, '10'])('a timing option of %s is refused', (value) => {
    expect(() => connect('http://test/', { retryDelay: value as number })).toThrow(SSEOptionError);
    expect(() => connect('http://test/', { maxRetryDelay: value as number })).toThrow(
      /maxRetryDelay: expected/,
    );
  });
});

describe('backoff always backs off', () => {
  test.each<[string, Reply | Error]>([
    ['an empty stream after retry: 0', { body: '' }],
    ['a stream of comments only', { body: ': hi\n\n' }],
    ['a network error', new TypeError('fetch failed')],
  ])('%s: each failed attempt waits longer, from the floor up', async (_, reply) => {
    const { fetch } = mockFetch({ body: 'retry: 0\ndata: a\n\n' }, reply);
    const infos = await reconnections(8, fetch, { retryDelay: 4, maxRetryDelay: 100 });
    // After the delivering stream: the server's retry, as the spec says.
    expect(infos[0]!.delay).toBe(0);
    // After failures: 2^n times the floor (here retryDelay, 4 ms), jittered
    // down by at most half, capped; never the server's 0.
    infos.slice(1).forEach((info, index) => {
      const ceiling = Math.min(4 * 2 ** (index + 1), 100);
      expect(info.delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(info.delay).toBeLessThanOrEqual(ceiling);
    });
  });

  test('after thousands of failures the delay is the cap, jittered, never NaN', () => {
    for (const failures of [1, 30, 1024, 1025, 5000, Number.MAX_SAFE_INTEGER]) {
      const delay = backoff(0, failures, 1000, 30_000);
      expect(Number.isFinite(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(1000);
      expect(delay).toBeLessThanOrEqual(30_000);
    }
  });

  test('the floor is 1 s by default, or retryDelay when that is less', async () => {
    expect(backoff(0, 1, 1000, 30_000)).toBeGreaterThanOrEqual(1000);
    const { fetch } = mockFetch({ body: 'retry: 0\n\n' });
    const [info] = await reconnections(1, fetch, { maxRetryDelay: 100_000 });
    expect(info!.delay).toBeGreaterThanOrEqual(1000);
    expect(info!.delay).toBeLessThanOrEqual(2000);
  });
});

describe('ids are bounded', () => {
  const id = (text: string) => ({ body: `id: ${text}\ndata: a\n\n` });

  test.each([
    ['1,024 ASCII characters', true, 'x'.repeat(1024)],
    ['1,025 ASCII characters', false, 'x'.repeat(1025)],
    ['341 "…" (1,023 bytes)', true, '…'.repeat(341)],
    ['342 "…" (1,026 bytes)', false, '…'.repeat(342)],
    ['15 MiB', false, 'x'.repeat(15 * 1024 * 1024)],
  ])('an id of %s is sent back: %s', async (_, sent, text) => {
    const { fetch, requests } = mockFetch(id(text), { status: 204 });
    const connection = connect('http://test/', { fetch, retryDelay: 1, maxEventLength: 16 << 20 });
    await collect(connection);
    // It is still the stream's last event ID; it is just not sent.
    expect(connection.lastEventId).toBe(text);
    const header = requests[1]!.headers.get('last-event-id');
    if (sent)
      expect(new TextDecoder().decode(Uint8Array.from(header!, (c) => c.charCodeAt(0)))).toBe(text);
    else expect(header).toBeNull();
  });
});

describe('a refusal can explain itself', () => {
  test('the body of an SSEResponseError can be read after the iteration ended', async () => {
    // Like a real fetch, the body fails once the request's signal aborts.
    const fetch = async (_: unknown, init: RequestInit = {}) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          init.signal?.addEventListener('abort', () =>
            controller.error(new DOMException('This operation was aborted', 'AbortError')),
          );
        },
        pull(controller) {
          controller.enqueue(new TextEncoder().encode('{"error":"token expired"}'));
          controller.close();
        },
      });
      return new Response(body, { status: 401, headers: { 'content-type': 'application/json' } });
    };
    const error = (await thrown(
      connect('http://test/', { fetch: fetch as typeof globalThis.fetch }),
    )) as SSEResponseError;
    expect(error).toBeInstanceOf(SSEResponseError);
    expect(await error.response.json()).toEqual({ error: 'token expired' });
  });
});

describe('a cached answer is not a reconnection', () => {
  test('the fallback without a cache mode calls headers() with attempt 0 again', async () => {
    const seen: number[] = [];
    const fetch = async (_: unknown, init: RequestInit = {}) => {
      if (init.cache)
        throw new TypeError("The 'cache' field on 'RequestInitializerDict' is not implemented.");
      return new Response(null, { status: 204 });
    };
    await collect(
      connect('http://test/', {
        fetch: fetch as typeof globalThis.fetch,
        headers: ({ attempt }) => {
          seen.push(attempt);
          return {};
        },
      }),
    );
    expect(seen).toEqual([0, 0]);
  });
});

describe('EventSource as the standard and the eventsource package have it', () => {
  test('an invalid URL throws a SyntaxError DOMException', () => {
    let error: unknown;
    try {
      new EventSource('http://[not a url');
    } catch (cause) {
      error = cause;
    }
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('SyntaxError');
  });

  test('a custom fetch receives the headers as a plain object, Accept and Last-Event-ID included', async () => {
    const seen: unknown[] = [];
    const fetch = async (_: unknown, init: RequestInit = {}) => {
      seen.push({ ...(init.headers as object) });
      return new Response(null, { status: 204 });
    };
    const source = new EventSource('http://test/', {
      fetch: fetch as typeof globalThis.fetch,
      lastEventId: '7',
      headers: { authorization: 'x' },
    });
    await new Promise<void>((resolve) => source.addEventListener('error', () => resolve()));
    expect(seen).toEqual([
      { accept: 'text/event-stream', authorization: 'x', 'last-event-id': '7' },
    ]);
  });

  test('error events carry code (the HTTP status) and message', async () => {
    const { fetch } = mockFetch({ status: 401 }, new TypeError('fetch failed'));
    const closed = new EventSource('http://test/', { fetch });
    const refused = await new Promise<Event>((resolve) =>
      closed.addEventListener('error', resolve),
    );
    expect(refused).toMatchObject({ code: 401, message: expect.stringContaining('got 401') });
    const { fetch: down } = mockFetch(new TypeError('fetch failed'));
    const retrying = new EventSource('http://test/', { fetch: down, retryDelay: 1 });
    const failed = await new Promise<Event>((resolve) =>
      retrying.addEventListener('error', resolve),
    );
    retrying.close();
    expect(failed).toMatchObject({ code: undefined, message: 'fetch failed' });
  });
});
