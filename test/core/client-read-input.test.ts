import { describe, expect, test, vi } from 'vitest';
import * as client from '../../src/client/index.ts';
import { connect, EventSource, readEvents, type SSEEvent } from '../../src/client/index.ts';
import { SSEError, SSEOptionError } from '../../src/index.ts';
import { transformEvents } from '../../src/middleware/index.ts';
import { collect, mockFetch, thrown } from './client-helpers.ts';

// What users hand a reader: the response of a fetch (the most common call),
// its body, or by mistake the text itself, a body already read, a body a
// reader holds. The first two are read; every other gets an SSEOptionError
// that says what to pass, from the call itself, never a TypeError from
// deep inside.

const stream = (text = 'data: a\n\nid: 7\ndata: b\n\n') =>
  new Response(text, { headers: { 'content-type': 'text/event-stream' } });

async function all(events: AsyncGenerator<SSEEvent, string>) {
  const data: string[] = [];
  for (let next = await events.next(); ; next = await events.next()) {
    if (next.done) return { data, lastEventId: next.value };
    data.push(next.value.data);
  }
}

const WHAT =
  /^readEvents\(body\): expected a Response or its body, got .*\. Pass await fetch\(url\) or its body; for text, new Response\(text\)\.$/;
const ONCE =
  /^readEvents\(body\): expected a body not yet read, got a (used|locked) one\. A body is read once: make a new one for each reader\.$/;

test('ssekit/client exports the error it throws for these, and the base class', () => {
  expect(client.SSEOptionError).toBe(SSEOptionError);
  expect(client.SSEError).toBe(SSEError);
});

describe('readEvents takes a Response or its body', () => {
  test('a Response is read as its body', async () => {
    expect(await all(readEvents(stream()))).toEqual({ data: ['a', 'b'], lastEventId: '7' });
    expect(await all(readEvents(stream().body!))).toEqual({ data: ['a', 'b'], lastEventId: '7' });
  });

  test('a Response without a body (HEAD, 204) is a stream with no events', async () => {
    expect(await all(readEvents(new Response(null)))).toEqual({ data: [], lastEventId: '' });
    expect(await all(readEvents(new Response(null), { lastEventId: '3' }))).toEqual({
      data: [],
      lastEventId: '3',
    });
  });

  test.each([
    ['the text itself', 'data: x\n\n'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['bytes', new TextEncoder().encode('data: x\n\n')],
    ['a plain object', { body: 'data: x\n\n' }],
  ])('%s throws SSEOptionError at the call, saying what to pass', (_, input) => {
    expect(() => readEvents(input as never)).toThrow(SSEOptionError);
    expect(() => readEvents(input as never)).toThrow(WHAT);
  });

  test('a Response already read, or a body a reader holds, throws SSEOptionError at the call', async () => {
    const read = stream();
    await read.text();
    expect(() => readEvents(read)).toThrow(ONCE);
    const locked = stream();
    const reader = locked.body!.getReader();
    expect(() => readEvents(locked)).toThrow(ONCE);
    expect(() => readEvents(locked.body!)).toThrow(ONCE);
    // Once the reader lets go, the rest of the body reads on.
    reader.releaseLock();
    expect((await all(readEvents(locked))).data).toEqual(['a', 'b']);
  });
});

describe('transformEvents refuses a body already read', () => {
  test('a used or locked upstream body throws SSEOptionError at the call', async () => {
    const read = stream();
    await read.text();
    expect(() => transformEvents(read)).toThrow(
      /^transformEvents\(response\): expected a body not yet read, got a used one\./,
    );
    const locked = stream();
    locked.body!.getReader();
    expect(() => transformEvents(locked)).toThrow(
      /^transformEvents\(response\): expected a body not yet read, got a locked one\./,
    );
  });

  test('a response that is not an event stream is still returned as it is, read or not', async () => {
    const page = new Response('<h1>502</h1>', { status: 502 });
    await page.text();
    expect(transformEvents(page)).toBe(page);
  });
});

describe('connect checks what a custom fetch returns', () => {
  test('the same Response on every call: the second attempt throws SSEOptionError, no silent retry', async () => {
    const response = stream();
    const fetch = vi.fn(async () => response);
    const onReconnect = vi.fn();
    const connection = connect('http://test/', { fetch, retryDelay: 1, onReconnect });
    const error = await thrown(connection);
    expect(error).toBeInstanceOf(SSEOptionError);
    expect((error as Error).message).toMatch(
      /^connect: fetch: expected a body not yet read, got a (used|locked) one\. A body is read once: make a new one for each reader\.$/,
    );
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(onReconnect).toHaveBeenCalledOnce();
  });

  test.each([
    ['undefined', undefined],
    ['a string', 'data: x\n\n'],
    ['a plain object', { status: 200 }],
  ])('a fetch that resolves to %s throws SSEOptionError, once', async (_, value) => {
    const fetch = vi.fn(async () => value);
    const connection = connect('http://test/', { fetch: fetch as never, retryDelay: 1 });
    const error = await thrown(connection);
    expect(error).toBeInstanceOf(SSEOptionError);
    expect((error as Error).message).toMatch(
      /^connect: fetch: expected a function that resolves to a Response, got .*\. Return what fetch returns\.$/,
    );
    expect(fetch).toHaveBeenCalledOnce();
  });

  test('EventSource fails for good with it, as with any error it cannot retry', async () => {
    const fetch = vi.fn(async () => undefined);
    const source = new EventSource('http://test/', { fetch: fetch as never, retryDelay: 1 });
    const error = await new Promise((resolve) => {
      source.onerror = (event) => resolve((event as Event & { error?: unknown }).error);
    });
    expect(error).toBeInstanceOf(SSEOptionError);
    expect(source.readyState).toBe(EventSource.CLOSED);
    expect(fetch).toHaveBeenCalledOnce();
  });

  test('a fresh Response each call still reconnects', async () => {
    const { fetch } = mockFetch({ body: 'data: a\n\n' }, { body: 'data: b\n\n' }, { status: 204 });
    const events = await collect(connect('http://test/', { fetch, retryDelay: 1 }));
    expect(events.map((event) => event.data)).toEqual(['a', 'b']);
  });
});
