import { describe, expect, test } from 'vitest';
import { connect, type ReconnectInfo, SSEParseError } from '../../src/client/index.ts';
import { collect, mockFetch, openBody, thrown } from './client-helpers.ts';

describe('reconnection', () => {
  test('a GET reconnects when the stream ends, resuming from the last id', async () => {
    const { fetch, requests } = mockFetch(
      { body: 'id: 1\ndata: a\n\n' },
      { body: 'data: b\n\n' },
      { status: 204 },
    );
    const events = await collect(connect('http://test/', { fetch, retryDelay: 1 }));
    expect(events.map(({ data, lastEventId }) => [data, lastEventId])).toEqual([
      ['a', '1'],
      ['b', '1'],
    ]);
    expect(requests.map((r) => r.headers.get('last-event-id'))).toEqual([null, '1', '1']);
  });

  test('an id-only block commits its id for the next request', async () => {
    const { fetch, requests } = mockFetch({ body: 'data: a\n\nid: 9\n\n' }, { status: 204 });
    const connection = connect('http://test/', { fetch, retryDelay: 1 });
    await collect(connection);
    expect(connection.lastEventId).toBe('9');
    expect(requests[1]!.headers.get('last-event-id')).toBe('9');
  });

  test('the retry field sets the next delay; no-event streams back off', async () => {
    const { fetch } = mockFetch(
      { body: 'retry: 7\ndata: a\n\n' },
      { body: ': nothing\n\n' },
      { body: '' },
      { status: 204 },
    );
    const infos: ReconnectInfo[] = [];
    await collect(
      // retryDelay 4: the floor of the backoff (at most 1 s) is below the server's 7.
      connect('http://test/', { fetch, retryDelay: 4, onReconnect: (i) => infos.push(i) }),
    );
    expect(infos.map((i) => i.attempt)).toEqual([1, 2, 3]);
    expect(infos[0]!.delay).toBe(7);
    // After failed attempts: doubled per failure, jittered down by at most half.
    expect(infos[1]!.delay).toBeGreaterThanOrEqual(7);
    expect(infos[1]!.delay).toBeLessThanOrEqual(14);
    expect(infos[2]!.delay).toBeGreaterThanOrEqual(14);
    expect(infos[2]!.delay).toBeLessThanOrEqual(28);
    expect(infos.every((i) => i.error === undefined)).toBe(true);
  });

  test('network errors back off up to the cap; maxRetries ends with the error', async () => {
    const down = new TypeError('fetch failed');
    const { fetch, requests } = mockFetch(down);
    const infos: ReconnectInfo[] = [];
    const error = await thrown(
      connect('http://test/', {
        fetch,
        retryDelay: 1,
        maxRetryDelay: 4,
        maxRetries: 5,
        onReconnect: (i) => infos.push(i),
      }),
    );
    expect(error).toBe(down);
    expect(requests).toHaveLength(6);
    expect(infos).toHaveLength(5);
    expect(infos.every((i) => i.error === down && i.delay <= 4)).toBe(true);
  });

  test('a 200 without a body is a stream that ended', async () => {
    const fetch = async () =>
      new Response(null, { headers: { 'content-type': 'text/event-stream' } });
    const connection = connect('http://test/', { fetch, method: 'HEAD', reconnect: false });
    expect(await collect(connection)).toEqual([]);
    expect(connection.readyState).toBe(2);
  });

  test('a POST is not retried unless asked: an end is the end, an error is thrown', async () => {
    const ended = mockFetch({ body: 'data: a\n\n' });
    const events = await collect(connect('http://test/', { fetch: ended.fetch, method: 'POST' }));
    expect(events.map((e) => e.data)).toEqual(['a']);
    expect(ended.requests).toHaveLength(1);

    const down = new TypeError('fetch failed');
    const failed = mockFetch(down);
    expect(await thrown(connect('http://test/', { fetch: failed.fetch, method: 'POST' }))).toBe(
      down,
    );
    expect(failed.requests).toHaveLength(1);
  });
});

describe('abort and close', () => {
  test('aborting the signal ends a pending read and cancels the body', async () => {
    const { body, whenCancelled } = openBody('data: a\n\n');
    const { fetch } = mockFetch({ body });
    const controller = new AbortController();
    const connection = connect('http://test/', { fetch, signal: controller.signal });
    const iterator = connection[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.data).toBe('a');
    const pending = iterator.next();
    controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    await whenCancelled;
    expect(connection.readyState).toBe(2);
  });

  test('close() during the reconnection wait ends at once, with no further request', async () => {
    const { fetch, requests } = mockFetch({ body: 'data: a\n\n' });
    const connection = connect('http://test/', {
      fetch,
      retryDelay: 60_000,
      onReconnect: () => setTimeout(() => connection.close(), 1),
    });
    const started = Date.now();
    expect((await collect(connection)).map((e) => e.data)).toEqual(['a']);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(requests).toHaveLength(1);
  });

  test('an already aborted signal makes no request', async () => {
    const { fetch, requests } = mockFetch({ body: 'data: a\n\n' });
    expect(await collect(connect('http://test/', { fetch, signal: AbortSignal.abort() }))).toEqual(
      [],
    );
    expect(requests).toHaveLength(0);
  });

  test('leaving the loop cancels the body', async () => {
    const { body, whenCancelled } = openBody('data: a\n\ndata: b\n\n');
    const { fetch } = mockFetch({ body });
    const connection = connect('http://test/', { fetch });
    expect((await collect(connection, 1)).map((e) => e.data)).toEqual(['a']);
    await whenCancelled;
    expect(connection.readyState).toBe(2);
  });
});

describe('typed JSON events and limits', () => {
  test('json: true parses data; the event map types it', async () => {
    const { fetch } = mockFetch({
      body: 'event: tick\ndata: {"n":1}\n\nevent: bye\ndata: "done"\n\n',
    });
    const events = await collect(
      connect<{ tick: { n: number }; bye: string }>('http://test/', {
        fetch,
        json: true,
        reconnect: false,
      }),
    );
    const seen: unknown[] = [];
    for (const event of events) {
      if (event.event === 'tick') seen.push(event.data.n + 1);
      else seen.push(event.data.toUpperCase());
    }
    expect(seen).toEqual([2, 'DONE']);
  });

  test('data that is not JSON fails with SSEParseError invalid-json', async () => {
    const { fetch } = mockFetch({ body: 'data: {nope\n\n' });
    const error = (await thrown(connect('http://test/', { fetch, json: true }))) as SSEParseError;
    expect(error).toBeInstanceOf(SSEParseError);
    expect(error.reason).toBe('invalid-json');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  test('an event past maxEventLength fails, and is not retried', async () => {
    const { fetch, requests } = mockFetch({ body: `data: ${'x'.repeat(40)}\ndata: y\n\n` });
    const error = (await thrown(
      connect('http://test/', { fetch, maxEventLength: 40, retryDelay: 1 }),
    )) as SSEParseError;
    expect(error.reason).toBe('event-too-long');
    expect(error.message).toContain('maxEventLength');
    expect(requests).toHaveLength(1);
  });

  test('comments reach onComment', async () => {
    const { fetch } = mockFetch({ body: ': hello\n:\n\n' });
    const comments: string[] = [];
    await collect(
      connect('http://test/', { fetch, reconnect: false, onComment: (c) => comments.push(c) }),
    );
    expect(comments).toEqual(['hello', '']);
  });
});
