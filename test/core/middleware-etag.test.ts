import { describe, expect, test } from 'vitest';
import { SSEOptionError, sseResponse } from '../../src/index.ts';
import { compose, etag } from '../../src/middleware/index.ts';
import { gatedSource, within } from './middleware-helpers.ts';

const request = (headers: HeadersInit = {}, method = 'GET') =>
  new Request('http://x/', { method, headers });

describe('etag', () => {
  test('a complete body gets a tag; If-None-Match then answers 304 with kept headers', async () => {
    const app = compose(etag())(() =>
      Response.json({ a: 1 }, { headers: { 'cache-control': 'max-age=60', 'x-other': '1' } }),
    );
    const first = await app(request());
    const tag = first.headers.get('etag')!;
    expect(tag).toMatch(/^"[\w+/]{27}"$/);
    expect(first.headers.get('content-length')).toBe('7');
    expect(await first.text()).toBe('{"a":1}');
    const again = await app(request({ 'if-none-match': `"other", W/${tag}` }));
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();
    expect(again.headers.get('etag')).toBe(tag);
    expect(again.headers.get('cache-control')).toBe('max-age=60');
    expect(again.headers.has('x-other')).toBe(false);
    expect((await app(request({ 'if-none-match': '*' }))).status).toBe(304);
  });

  test('the tag follows the content; weak and custom digests', async () => {
    let body = 'one';
    const app = compose(etag({ weak: true, digest: (bytes) => String(bytes.byteLength) }))(
      () => new Response(body),
    );
    expect((await app(request())).headers.get('etag')).toBe('W/"3"');
    body = 'three';
    expect((await app(request())).headers.get('etag')).toBe('W/"5"');
  });

  test('a body streamed in parts, all there at once, is complete', async () => {
    const app = compose(etag())(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('ab'));
              controller.enqueue(new TextEncoder().encode('cd'));
              controller.close();
            },
          }),
        ),
    );
    const response = await app(request());
    expect(response.headers.has('etag')).toBe(true);
    expect(await response.text()).toBe('abcd');
  });

  test('a streaming body passes through at once, without a tag, bytes intact', async () => {
    let push!: (text: string | null) => void;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('first '));
        push = (text) =>
          text === null ? controller.close() : controller.enqueue(new TextEncoder().encode(text));
      },
      cancel: () => void (cancelled = true),
    });
    const response = await within(compose(etag())(() => new Response(body))(request()), 500);
    if (response === 'timeout') throw new Error('etag held a streaming body back');
    expect(response.headers.has('etag')).toBe(false);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toBe('first ');
    push('second');
    expect((await reader.read()).value).toBe('second');
    await reader.cancel();
    expect(cancelled).toBe(true);
  });

  test('an event stream passes through untouched, its source not read', async () => {
    const gate = gatedSource();
    const original = sseResponse(gate.source, { heartbeat: false });
    gate.release();
    const response = await compose(etag())(() => original)(request());
    expect(response).toBe(original);
    expect(gate.produced).toBe(0);
    await response.body!.cancel();
  });

  test('bodies over maxBytes stream without a tag, whole', async () => {
    const big = 'x'.repeat(5000);
    const app = compose(etag({ maxBytes: 1000 }))(() => new Response(big));
    const response = await app(request());
    expect(response.headers.has('etag')).toBe(false);
    expect(await response.text()).toBe(big);
    const declared = compose(etag({ maxBytes: 1000 }))(
      () => new Response(big, { headers: { 'content-length': '5000' } }),
    );
    expect((await declared(request())).headers.has('etag')).toBe(false);
  });

  test('only GET and HEAD 200s; an etag set by the handler is used for 304', async () => {
    const post = await compose(etag())(() => new Response('x'))(request({}, 'POST'));
    expect(post.headers.has('etag')).toBe(false);
    const notFound = await compose(etag())(() => new Response('x', { status: 404 }))(request());
    expect(notFound.headers.has('etag')).toBe(false);
    const own = compose(etag())(() => new Response('x', { headers: { etag: '"v1"' } }));
    expect((await own(request({ 'if-none-match': '"v1"' }))).status).toBe(304);
    expect((await own(request({ 'if-none-match': '"v2"' }))).status).toBe(200);
  });

  test('bad options are refused', () => {
    expect(() => etag({ maxBytes: -1 })).toThrow(SSEOptionError);
    expect(() => etag({ digest: 'sha1' as any })).toThrow(/digest: expected a function/);
  });
});
