import { describe, expect, test } from 'vitest';
import {
  connect,
  type ReconnectInfo,
  type SSEConnection,
  SSEResponseError,
} from '../../src/client/index.ts';
import { SSEError } from '../../src/index.ts';
import { collect, mockFetch, thrown } from './client-helpers.ts';
import { hexBytes, wpt } from './parser-helpers.ts';

async function failure(connection: SSEConnection<any>): Promise<unknown> {
  const error = await thrown(connection);
  expect(error).toBeInstanceOf(SSEError);
  return error;
}

describe('connect reads every WPT body like EventSource', () => {
  test.each(wpt.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { fetch } = mockFetch({ body: hexBytes(c.body_hex), type: c.content_type });
    const connection = connect('http://test/', {
      fetch,
      reconnect: false,
      lastEventId: c.initial_last_event_id,
    });
    const bad = c.name.startsWith('format-mime') && c.expected.length === 0;
    if (bad) {
      expect(await failure(connection)).toBeInstanceOf(SSEResponseError);
    } else {
      const events = await collect(connection);
      expect(events.map(({ event, data, lastEventId: id }) => ({ event, data, id }))).toEqual(
        c.expected,
      );
      expect(connection.lastEventId).toBe(c.expected_last_event_id_after);
    }
    expect(connection.readyState).toBe(2);
  });
});

describe('requests', () => {
  test('Accept, no-store, method, body and headers from a per-attempt function', async () => {
    const { fetch, requests } = mockFetch({ body: 'id: 1\ndata: a\n\n' }, { status: 204 });
    const seen: unknown[] = [];
    const events = await collect(
      connect('http://test/chat', {
        fetch,
        method: 'post',
        body: '{"prompt":"hi"}',
        reconnect: true,
        retryDelay: 1,
        headers: (attempt) => {
          seen.push(attempt);
          return { authorization: `Bearer token-${attempt.attempt}` };
        },
      }),
    );
    expect(events.map((event) => event.data)).toEqual(['a']);
    expect(seen).toEqual([
      { attempt: 0, lastEventId: '' },
      { attempt: 1, lastEventId: '1' },
    ]);
    expect(requests.map((r) => r.headers.get('authorization'))).toEqual([
      'Bearer token-0',
      'Bearer token-1',
    ]);
    for (const { init, headers } of requests) {
      expect(init.method).toBe('post');
      expect(init.body).toBe('{"prompt":"hi"}');
      expect(init.cache).toBe('no-store');
      expect(headers.get('accept')).toBe('text/event-stream');
    }
    expect(requests[0]!.headers.has('last-event-id')).toBe(false);
    expect(requests[1]!.headers.get('last-event-id')).toBe('1');
  });

  test('Last-Event-ID carries the UTF-8 bytes of the id, from the lastEventId option on', async () => {
    const { fetch, requests } = mockFetch({ status: 204 });
    await collect(connect('http://test/', { fetch, lastEventId: 'é…' }));
    const header = requests[0]!.headers.get('last-event-id')!;
    expect(Array.from(header, (char) => char.charCodeAt(0))).toEqual([
      0xc3, 0xa9, 0xe2, 0x80, 0xa6,
    ]);
  });

  test('where fetch refuses cache modes (older Workers), Cache-Control is sent instead', async () => {
    const seen: RequestInit[] = [];
    const fetch = async (_: unknown, init: RequestInit = {}) => {
      seen.push(init);
      if (init.cache) {
        throw new TypeError("The 'cache' field on 'RequestInitializerDict' is not implemented.");
      }
      return new Response(null, { status: 204 });
    };
    await collect(connect('http://test/', { fetch: fetch as typeof globalThis.fetch }));
    expect(seen.map((init) => init.cache)).toEqual(['no-store', undefined]);
    expect(new Headers(seen[1]!.headers).get('cache-control')).toBe('no-cache');
  });

  test('an Accept header of the caller is kept', async () => {
    const { fetch, requests } = mockFetch({ status: 204 });
    await collect(
      connect('http://test/', { fetch, headers: { accept: 'text/event-stream, */*' } }),
    );
    expect(requests[0]!.headers.get('accept')).toBe('text/event-stream, */*');
  });
});

describe('statuses and content types', () => {
  test('204 ends the iteration without an error and without reconnecting', async () => {
    const { fetch, requests } = mockFetch({ status: 204 });
    const connection = connect('http://test/', { fetch, retryDelay: 1 });
    expect(await collect(connection)).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(connection.readyState).toBe(2);
  });

  test.each([205, 210, 299, 301, 404, 410, 500, 503])(
    'status %i fails with SSEResponseError, once',
    async (status) => {
      const { fetch, requests } = mockFetch({ status, body: 'data: no\n\n' });
      const error = (await failure(
        connect('http://test/', { fetch, retryDelay: 1 }),
      )) as SSEResponseError;
      expect(error).toBeInstanceOf(SSEResponseError);
      expect(error.status).toBe(status);
      expect(error.message).toContain(`got ${status}`);
      expect(await error.response.text()).toBe(status === 205 ? '' : 'data: no\n\n');
      expect(requests).toHaveLength(1);
    },
  );

  test('a wrong content type fails and says which type came', async () => {
    const { fetch } = mockFetch({ type: 'application/json', body: '{}' });
    const error = (await failure(connect('http://test/', { fetch }))) as SSEResponseError;
    expect(error.status).toBe(200);
    expect(error.message).toContain('application/json');
  });

  test('retryStatus retries 503 and 429, waiting for Retry-After in seconds', async () => {
    const { fetch, requests } = mockFetch(
      { status: 503, headers: { 'retry-after': '0' } },
      // An HTTP date is not delay-seconds: the backoff applies instead.
      { status: 429, headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() } },
      { body: 'data: ok\n\n' },
      { status: 204 },
    );
    const infos: ReconnectInfo[] = [];
    const events = await collect(
      connect('http://test/', {
        fetch,
        retryStatus: true,
        retryDelay: 1,
        onReconnect: (info) => infos.push(info),
      }),
    );
    expect(events.map((event) => event.data)).toEqual(['ok']);
    expect(requests).toHaveLength(4);
    expect(infos.map((info) => info.attempt)).toEqual([2, 3, 1]);
    // Retry-After: 0 does not undercut the backoff (from retryDelay, 1 ms, here).
    expect(infos[0]!.delay).toBeGreaterThanOrEqual(1);
    expect(infos[0]!.delay).toBeLessThanOrEqual(2);
    expect(infos[1]!.delay).toBeGreaterThanOrEqual(2);
    expect(infos[1]!.delay).toBeLessThanOrEqual(4);
    expect(infos[2]!.delay).toBe(1);
    expect(infos[0]!.error).toBeInstanceOf(SSEResponseError);
  });

  test('retryStatus does not retry 4xx other than 429', async () => {
    const { fetch, requests } = mockFetch({ status: 401 });
    await failure(connect('http://test/', { fetch, retryStatus: true, retryDelay: 1 }));
    expect(requests).toHaveLength(1);
  });
});
