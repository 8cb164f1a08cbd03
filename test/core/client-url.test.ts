import { afterEach, describe, expect, test, vi } from 'vitest';
import { connect, EventSource } from '../../src/client/index.ts';
import { SSEOptionError } from '../../src/index.ts';
import { collect, mockFetch } from './client-helpers.ts';

// A URL that can never be fetched is a mistake in the call, not a network
// failure: retrying it would wait forever without a word. connect() throws
// it synchronously, as `new EventSource(url)` throws its SyntaxError and as
// every option is checked, before it makes any request.

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** `globalThis.fetch` spied on: the default fetch must not even be called. */
function spyOnFetch() {
  return vi
    .spyOn(globalThis, 'fetch')
    .mockImplementation(async () => new Response(null, { status: 204 }));
}

describe('connect(url) without a page (Node, Deno, Bun, Workers)', () => {
  test.each([
    ['a path', '/events'],
    ['a relative path', 'events?topic=a'],
    ['text that is no URL', 'not a url'],
    ['an empty string', ''],
  ])('%s throws SSEOptionError at once, and no request is made', async (_, url) => {
    const fetch = spyOnFetch();
    expect(() => connect(url)).toThrow(SSEOptionError);
    expect(() => connect(url, { retryDelay: 1 })).toThrow(
      /^connect\(url\): expected an absolute URL \(or a path and a base\), got ".*"\. Pass one such as 'https:\/\/api\.example\.com\/events', or \{ base: 'https:\/\/api\.example\.com' \}\.$/,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fetch).not.toHaveBeenCalled();
  });

  test.each([
    ['an invalid host', 'http://exa mple.com/events'],
    ['an unclosed IPv6 host', 'http://[::1/events'],
    ['a bad port', 'https://example.com:99999/'],
  ])('a URL with %s throws SSEOptionError, with a base too', (_, url) => {
    const fetch = spyOnFetch();
    for (const base of [undefined, 'https://api.example.com/']) {
      expect(() => connect(url, { base })).toThrow(SSEOptionError);
    }
    expect(() => connect(url, { base: 'https://api.example.com/' })).toThrow(
      /^connect\(url\): expected an absolute URL \(or a path and a base\), got "http/,
    );
    expect(fetch).not.toHaveBeenCalled();
  });

  test.each([
    ['a number', 42],
    ['a Request', new Request('http://test/')],
    ['null', null],
  ])('%s as the URL throws SSEOptionError', (_, url) => {
    const fetch = spyOnFetch();
    expect(() => connect(url as never, { base: 'https://api.example.com/' })).toThrow(
      SSEOptionError,
    );
    expect(fetch).not.toHaveBeenCalled();
  });

  test('base resolves a path, as new URL(path, base) does; the custom fetch gets the full URL', async () => {
    const { fetch, requests } = mockFetch({ status: 204 });
    await collect(connect('/events?topic=a', { fetch, base: 'https://api.example.com/v1/' }));
    await collect(connect('events', { fetch, base: new URL('https://api.example.com/v1/') }));
    await collect(connect('https://other.example/x', { fetch, base: 'https://api.example.com/' }));
    await collect(connect(new URL('http://test/u'), { fetch }));
    expect(requests.map((request) => request.url)).toEqual([
      'https://api.example.com/events?topic=a',
      'https://api.example.com/v1/events',
      'https://other.example/x',
      'http://test/u',
    ]);
  });

  test.each([
    ['a path', '/v1'],
    ['text that is no URL', 'api.example.com'],
    ['a number', 42],
    ['null', null],
  ])('base as %s throws SSEOptionError', (_, base) => {
    const fetch = spyOnFetch();
    expect(() => connect('/events', { base: base as never })).toThrow(SSEOptionError);
    expect(() => connect('https://api.example.com/events', { base: base as never })).toThrow(
      /^connect: base: expected an absolute URL, got .*\. Pass one such as 'https:\/\/api\.example\.com'\.$/,
    );
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('connect(url) in a page or a worker: the base is the one fetch uses', () => {
  test("a path resolves against location, or the document's base URL when there is one", async () => {
    const { fetch, requests } = mockFetch({ status: 204 });
    vi.stubGlobal('location', { href: 'https://page.example/app/index.html' });
    await collect(connect('events', { fetch }));
    await collect(connect('/events', { fetch }));
    // A <base href> changes what fetch resolves against: document.baseURI.
    vi.stubGlobal('document', { baseURI: 'https://cdn.example/base/' });
    await collect(connect('events', { fetch }));
    // The base option comes first.
    await collect(connect('events', { fetch, base: 'https://api.example.com/' }));
    expect(requests.map((request) => request.url)).toEqual([
      'https://page.example/app/events',
      'https://page.example/events',
      'https://cdn.example/base/events',
      'https://api.example.com/events',
    ]);
  });
});

describe('EventSource takes the same base', () => {
  test('base resolves a path; url is the full URL', () => {
    const { fetch } = mockFetch({ status: 204 });
    const source = new EventSource('/events', { fetch, base: 'https://api.example.com/v1/' });
    expect(source.url).toBe('https://api.example.com/events');
    source.close();
  });

  test('without a base or a page a path is a SyntaxError, as the standard says; a bad base an SSEOptionError', () => {
    const fetch = spyOnFetch();
    expect(() => new EventSource('/events')).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
    expect(() => new EventSource('/events', { base: '/v1' })).toThrow(SSEOptionError);
    expect(fetch).not.toHaveBeenCalled();
  });
});
