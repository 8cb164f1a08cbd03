import { afterEach, describe, expect, test, vi } from 'vitest';
import { createHub } from '../../src/hub/index.ts';
import {
  abortable,
  type CloseInfo,
  preEncode,
  SSEFieldError,
  SSEOptionError,
  sleep,
  sseResponse,
} from '../../src/index.ts';
import { chunkReader, forever, PATHS, settle, textOf } from './response-helpers.ts';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('headers and status', () => {
  test('event-stream headers, nothing hop-by-hop', () => {
    const response = sseResponse([]);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    for (const name of ['connection', 'keep-alive', 'transfer-encoding']) {
      expect(response.headers.has(name)).toBe(false);
    }
  });

  test('caller headers and status merge in', () => {
    const response = sseResponse([], {
      status: 201,
      headers: { 'access-control-allow-origin': '*', 'cache-control': 'no-store' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  test.each([
    [{ headers: { Connection: 'keep-alive' } }, /got "connection". Remove it/],
    [{ headers: { 'transfer-encoding': 'chunked' } }, /hop-by-hop/],
    [{ status: 204 }, /status/],
    [{ status: 700 }, /status/],
    [{ heartbeat: 0 }, /heartbeat/],
    [{ heartbeat: '1s' }, /heartbeat/],
    [{ retry: -5 }, /retry/],
    [{ retry: 2 ** 31 }, /retry.*2147483647/],
    [{ maxQueuedBytes: 0 }, /maxQueuedBytes/],
    [{ overflow: 'explode' }, /overflow/],
    [{ onClose: 'x' }, /onClose: expected a function/],
    [{ request: {} }, /request: expected a Request/],
    [{ signal: true }, /signal: expected an AbortSignal/],
    [{ lastEventIdParam: '' }, /lastEventIdParam/],
  ])('bad option %o throws SSEOptionError', (init, message) => {
    expect(() => sseResponse([], init as never)).toThrow(SSEOptionError);
    expect(() => sseResponse([], init as never)).toThrow(message);
  });

  test('a source that cannot be streamed throws SSEOptionError', () => {
    expect(() => sseResponse(42 as never)).toThrow(SSEOptionError);
    expect(() => sseResponse(null as never)).toThrow(/source: expected a function/);
  });
});

describe.each(PATHS)('sources (%s path)', (path) => {
  test('async generator function, strings and messages', async () => {
    const response = sseResponse(async function* () {
      yield 'one';
      yield { event: 'two', id: 2, data: { n: 2 } };
    });
    expect(await textOf(response, path)).toBe(
      ':\n\ndata: one\n\nevent: two\nid: 2\ndata: {"n":2}\n\n',
    );
  });

  test('sync iterable, async iterable and ReadableStream of messages', async () => {
    expect(await textOf(sseResponse(['a', 'b']), path)).toBe(':\n\ndata: a\n\ndata: b\n\n');
    const asyncIterable = {
      async *[Symbol.asyncIterator]() {
        yield 'c';
      },
    };
    expect(await textOf(sseResponse(asyncIterable), path)).toBe(':\n\ndata: c\n\n');
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue({ event: 'd', data: 1 });
        controller.close();
      },
    });
    expect(await textOf(sseResponse(stream), path)).toBe(':\n\nevent: d\ndata: 1\n\n');
  });

  test('a function may return a ReadableStream or an iterable', async () => {
    expect(
      await textOf(
        sseResponse(() => ['x']),
        path,
      ),
    ).toBe(':\n\ndata: x\n\n');
    const stream = () =>
      new ReadableStream({
        pull(controller) {
          controller.enqueue('y');
          controller.close();
        },
      });
    expect(await textOf(sseResponse(stream), path)).toBe(':\n\ndata: y\n\n');
  });

  test('push function: the methods of the Go SSEWriter, ends when its promise settles', async () => {
    const response = sseResponse(async ({ event, data, comment, retry, send }) => {
      event('greeting', 'hi');
      data('plain');
      comment('note');
      retry(500);
      send({ id: 9, data: [1] });
      await sleep(1);
    });
    expect(await textOf(response, path)).toBe(
      ':\n\nevent: greeting\ndata: hi\n\ndata: plain\n\n: note\n\nretry: 500\n\nid: 9\ndata: [1]\n\n',
    );
  });

  test('push function that awaits ctx.closed stays open until the client leaves', async () => {
    const onClose = vi.fn();
    const response = sseResponse(
      async (ctx) => {
        ctx.data('first');
        await ctx.closed;
      },
      { onClose },
    );
    const reader = chunkReader(response, path);
    expect(await reader.next()).toBe(':\n\n');
    expect(await reader.next()).toBe('data: first\n\n');
    await settle();
    expect(onClose).not.toHaveBeenCalled();
    await reader.cancel();
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'disconnect' });
  });

  test('ctx.close() ends the stream after what is queued', async () => {
    const onClose = vi.fn();
    const response = sseResponse(
      (ctx) => {
        ctx.data('a');
        ctx.data('b');
        ctx.close();
        expect(ctx.data('late')).toBe(false);
        return ctx.closed;
      },
      { onClose },
    );
    expect(await textOf(response, path)).toBe(':\n\ndata: a\n\ndata: b\n\n');
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'close' });
  });
});

describe.each(PATHS)('first byte and backpressure (%s path)', (path) => {
  test('a source that never yields still delivers a first chunk at once', async () => {
    // biome-ignore lint/correctness/useYield: a source that never yields is the point
    const response = sseResponse(async function* () {
      await forever();
    });
    const reader = chunkReader(response, path);
    expect(await reader.next()).toBe(':\n\n');
    await reader.cancel();
  });

  test('the retry option is the first chunk', async () => {
    const reader = chunkReader(
      sseResponse(async function* () {}, { retry: 3000 }),
      path,
    );
    expect(await reader.next()).toBe('retry: 3000\n\n');
  });

  test('with nobody reading the source is not pulled; each read pulls one bounded batch', async () => {
    let pulled = 0;
    const response = sseResponse(function* () {
      for (;;) {
        pulled++;
        yield { data: 'x'.repeat(100) };
      }
    });
    await settle();
    expect(pulled).toBe(0);
    const reader = chunkReader(response, path);
    await reader.next(); // the preamble
    await settle();
    expect(pulled).toBe(0);
    const batch = await reader.next();
    await settle();
    // One batch: about 16 KiB of text, so at most 16384 / 108 + 1 messages.
    expect(pulled).toBeLessThanOrEqual(153);
    expect(pulled).toBeGreaterThan(1);
    expect(batch!.split('\n\n').length - 1).toBe(pulled);
    await reader.cancel();
    const after = pulled;
    await settle();
    expect(pulled).toBe(after);
  });

  test('items that are ready together leave as one chunk; a slow item is not waited for', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const response = sseResponse(async function* () {
      yield 'a';
      yield 'b';
      await gate;
      yield 'c';
    });
    const reader = chunkReader(response, path);
    await reader.next();
    expect(await reader.next()).toBe('data: a\n\ndata: b\n\n');
    open();
    expect(await reader.next()).toBe('data: c\n\n');
    expect(await reader.next()).toBeUndefined();
  });
});

describe.each(PATHS)('one cancellation path (%s path)', (path) => {
  test('cancel aborts the signal, runs finally, fires onClose once, leaves no timer', async () => {
    vi.useFakeTimers();
    const onClose = vi.fn();
    let signal!: AbortSignal;
    let cleaned = 0;
    const response = sseResponse(
      async function* (ctx) {
        signal = ctx.signal;
        try {
          for (let n = 0; ; n++) {
            yield { data: n };
            await ctx.sleep(1000);
          }
        } finally {
          cleaned++;
        }
      },
      { onClose },
    );
    const reader = chunkReader(response, path);
    await reader.next();
    expect(await reader.next()).toBe('data: 0\n\n');
    await vi.advanceTimersByTimeAsync(1000);
    expect(await reader.next()).toBe('data: 1\n\n');
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await reader.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(signal.aborted).toBe(true);
    expect(cleaned).toBe(1);
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'disconnect' });
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a generator parked on an abortable await finishes at once', async () => {
    let cleaned = false;
    const response = sseResponse(async function* ({ signal }) {
      try {
        yield 'start';
        await abortable(forever(), signal);
      } finally {
        cleaned = true;
      }
    });
    const reader = chunkReader(response, path);
    await reader.next();
    await reader.next();
    const pending = reader.next(); // the pull parks the generator on forever()
    await settle();
    await reader.cancel();
    await pending;
    await settle();
    expect(cleaned).toBe(true);
  });

  test('a generator parked on a promise that never settles does not hold the close', async () => {
    vi.useFakeTimers();
    const onClose = vi.fn();
    const response = sseResponse(
      async function* () {
        yield 'start';
        await forever();
      },
      { onClose },
    );
    const reader = chunkReader(response, path);
    await reader.next();
    await reader.next();
    const pending = reader.next();
    await vi.advanceTimersByTimeAsync(10);
    await reader.cancel();
    expect(await pending).toBeUndefined();
    expect(onClose).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
  });

  test('the signal option closes gracefully: queued messages still arrive', async () => {
    const server = new AbortController();
    const onClose = vi.fn();
    const response = sseResponse(
      async (ctx) => {
        ctx.data('last words');
        await ctx.closed;
      },
      { signal: server.signal, onClose },
    );
    server.abort();
    expect(await textOf(response, path)).toBe(':\n\ndata: last words\n\n');
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'abort' });
  });

  test('a normal end is reported as end, once, and aborts the context signal', async () => {
    const onClose = vi.fn();
    let signal!: AbortSignal;
    const response = sseResponse(
      function* (ctx) {
        signal = ctx.signal;
        yield 'only';
      },
      { onClose },
    );
    expect(await textOf(response, path)).toBe(':\n\ndata: only\n\n');
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'end' });
    expect(signal.aborted).toBe(true);
  });

  test('an onClose that throws does not escape', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = sseResponse(['a'], {
      onClose: () => {
        throw new Error('boom');
      },
    });
    expect(await textOf(response, path)).toBe(':\n\ndata: a\n\n');
    expect(error).toHaveBeenCalled();
  });
});

describe.each(PATHS)('heartbeat (%s path)', (path) => {
  test('only after idleness, never inside a message, and off with false', async () => {
    vi.useFakeTimers();
    const response = sseResponse(
      async function* ({ sleep }) {
        for (let n = 0; n < 3; n++) {
          yield { event: 'n', data: `line\n${n}` };
          await sleep(400);
        }
        await sleep(2500);
        yield 'end';
      },
      { heartbeat: 1000 },
    );
    const chunks: string[] = [];
    const reading = (async () => {
      const reader = chunkReader(response, path);
      for (let chunk = await reader.next(); chunk !== undefined; chunk = await reader.next()) {
        chunks.push(chunk);
      }
    })();
    await vi.advanceTimersByTimeAsync(1200);
    expect(chunks.filter((chunk) => chunk === ':\n\n')).toHaveLength(1); // the preamble only
    await vi.advanceTimersByTimeAsync(5000);
    await reading;
    for (const chunk of chunks) expect(chunk.endsWith('\n\n')).toBe(true);
    const heartbeats = chunks.slice(1).filter((chunk) => chunk === ':\n\n');
    expect(heartbeats.length).toBe(2); // 1.2 s .. 3.7 s of silence
    expect(chunks.at(-1)).toBe('data: end\n\n');
    expect(vi.getTimerCount()).toBe(0);
  });

  test('heartbeat: false sends none', async () => {
    vi.useFakeTimers();
    const reader = chunkReader(
      sseResponse(async () => forever(), { heartbeat: false }),
      path,
    );
    await reader.next();
    expect(vi.getTimerCount()).toBe(0);
    const next = reader.next();
    let got = false;
    next.then(() => (got = true));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(got).toBe(false);
    await reader.cancel();
  });
});

describe.each(PATHS)('errors in the source (%s path)', (path) => {
  test('onError is told, the stream closes, the error text never reaches the client', async () => {
    const onError = vi.fn();
    const onClose = vi.fn<(info: CloseInfo) => void>();
    const secret = new Error('database password is hunter2');
    const response = sseResponse(
      async function* () {
        yield 'before';
        throw secret;
      },
      { onError, onClose },
    );
    const text = await textOf(response, path);
    expect(text).toBe(':\n\ndata: before\n\n');
    expect(text).not.toContain('hunter2');
    expect(onError).toHaveBeenCalledExactlyOnceWith(secret);
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'error', error: secret });
  });

  test('onError may choose a final event', async () => {
    const response = sseResponse(
      async () => {
        throw new Error('nope');
      },
      { onError: () => ({ event: 'error', data: 'try again later' }) },
    );
    expect(await textOf(response, path)).toBe(':\n\nevent: error\ndata: try again later\n\n');
  });

  test('without onError the error is logged, not thrown', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = sseResponse(() => {
      throw new Error('sync throw');
    });
    expect(await textOf(response, path)).toBe(':\n\n');
    expect(log).toHaveBeenCalledOnce();
  });

  test('an invalid yielded message writes nothing of itself and returns the generator', async () => {
    const onError = vi.fn();
    let cleaned = false;
    const response = sseResponse(
      async function* () {
        try {
          yield 'fine';
          yield { event: 'bad\nevent: admin', data: 'x' };
          yield 'never';
        } finally {
          cleaned = true;
        }
      },
      { onError },
    );
    expect(await textOf(response, path)).toBe(':\n\ndata: fine\n\n');
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(SSEFieldError);
    await settle();
    expect(cleaned).toBe(true);
  });

  test('a throwing push write throws to the caller, before writing', async () => {
    const response = sseResponse(async ({ event, data }) => {
      expect(() => event('a\nb', 1)).toThrow(SSEFieldError);
      data('after');
    });
    expect(await textOf(response, path)).toBe(':\n\ndata: after\n\n');
  });
});

describe('Last-Event-ID', () => {
  const ids = (request: Request, init = {}) => {
    let seen: string | undefined = 'unset';
    sseResponse(
      (ctx) => {
        seen = ctx.lastEventId;
      },
      { request, ...init },
    );
    return seen;
  };

  test('read from the header and handed to the source', () => {
    const request = new Request('http://x/', { headers: { 'last-event-id': '41' } });
    expect(ids(request)).toBe('41');
    expect(ids(new Request('http://x/'))).toBeUndefined();
  });

  test('the query parameter is opt-in', () => {
    const request = new Request('http://x/?lastEventId=7');
    expect(ids(request)).toBeUndefined();
    expect(ids(request, { lastEventIdParam: 'lastEventId' })).toBe('7');
  });

  test('an id with CR, LF or NUL, or too long, is absent', () => {
    const init = { lastEventIdParam: 'id' };
    expect(ids(new Request('http://x/?id=a%0Ab'), init)).toBeUndefined();
    expect(ids(new Request('http://x/?id=a%0Db'), init)).toBeUndefined();
    expect(ids(new Request('http://x/?id=a%00b'), init)).toBeUndefined();
    const long = 'x'.repeat(1025);
    expect(ids(new Request('http://x/', { headers: { 'last-event-id': long } }))).toBeUndefined();
    expect(ids(new Request('http://x/', { headers: { 'last-event-id': long.slice(1) } }))).toBe(
      long.slice(1),
    );
  });
});

describe.each(PATHS)('pre-encoded messages (%s path)', (path) => {
  test('one alone is written as its shared bytes; several are joined, not re-encoded', async () => {
    const one = preEncode({ event: 'a', data: 1 });
    const two = preEncode('two');
    const reader = chunkReader(sseResponse([one], { heartbeat: false }), path);
    await reader.read();
    expect((await reader.read()).value).toBe(one.bytes);
    const text = await textOf(sseResponse([one, 'plain', two, two], { heartbeat: false }), path);
    expect(text).toBe(':\n\nevent: a\ndata: 1\n\ndata: plain\n\ndata: two\n\ndata: two\n\n');
  });
});

describe('the request signal', () => {
  test('request.signal aborting is a disconnect; the listener is removed on close', async () => {
    const client = new AbortController();
    const request = new Request('http://localhost/', { signal: client.signal });
    const remove = vi.spyOn(request.signal, 'removeEventListener');
    const onClose = vi.fn();
    let cleaned = 0;
    const response = sseResponse(
      async function* ({ signal }) {
        try {
          while (await sleep(10, signal)) yield 'tick';
        } finally {
          cleaned++;
        }
      },
      { request, onClose },
    );
    const reader = chunkReader(response);
    await reader.next();
    await reader.next();
    client.abort();
    await settle();
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'disconnect' });
    expect(cleaned).toBe(1);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });

  test('on the direct path the adapter tells of a leaving client: the request is no longer watched', async () => {
    const client = new AbortController();
    const request = new Request('http://localhost/', { signal: client.signal });
    const remove = vi.spyOn(request.signal, 'removeEventListener');
    const onClose = vi.fn();
    const response = sseResponse(async function* () {}, { request, onClose });
    const reader = chunkReader(response, 'direct');
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
    client.abort();
    expect(onClose).not.toHaveBeenCalled();
    await reader.cancel();
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'disconnect' });
  });
});

describe('a signal shared by many streams', () => {
  test('carries one listener however many streams watch it, and none once they close', async () => {
    const shutdown = new AbortController();
    const add = vi.spyOn(shutdown.signal, 'addEventListener');
    const remove = vi.spyOn(shutdown.signal, 'removeEventListener');
    const closes: string[] = [];
    const streams = Array.from({ length: 50 }, () =>
      sseResponse(async (ctx) => ctx.closed, {
        signal: shutdown.signal,
        onClose: ({ reason }) => closes.push(reason),
      }),
    );
    expect(add).toHaveBeenCalledOnce();
    // Ten streams end on their own: the shared listener stays for the rest.
    for (const response of streams.slice(0, 10)) await response.body!.cancel();
    expect(remove).not.toHaveBeenCalled();
    shutdown.abort();
    expect(closes.filter((reason) => reason === 'disconnect')).toHaveLength(10);
    expect(closes.filter((reason) => reason === 'abort')).toHaveLength(40);
    // A new signal user after all have gone adds a fresh listener and removes it on close.
    const later = new AbortController();
    const laterRemove = vi.spyOn(later.signal, 'removeEventListener');
    const response = sseResponse(async (ctx) => ctx.closed, { signal: later.signal });
    await response.body!.cancel();
    expect(laterRemove).toHaveBeenCalledOnce();
  });
});

describe.each(PATHS)('a stream that ends before anyone reads it (%s path)', (path) => {
  test('an already aborted signal: the body still ends, after its first byte', async () => {
    const onClose = vi.fn();
    const response = sseResponse(async function* () {}, { signal: AbortSignal.abort(), onClose });
    expect(await textOf(response, path)).toBe(':\n\n');
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'abort' });
  });

  test('a hub subscription that is already over ends its stream', async () => {
    const hub = createHub();
    await hub.close();
    const onClose = vi.fn();
    const response = sseResponse(() => hub.subscribe('t'), { onClose, heartbeat: 10 });
    expect(await textOf(response, path)).toBe(':\n\n');
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'end' });
  });
});
