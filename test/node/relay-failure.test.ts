// A relay whose upstream or transform fails must end its response so the
// client can tell it from a stream that finished: over HTTP/1.1 the
// connection closes without the last chunk, over HTTP/2 the stream is reset,
// and every event before the failure arrives first. Through the direct path
// (an ssekit response as it is) and the body path (a response rebuilt by a
// middleware), on real sockets.
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import { connect as connectHttp2, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import type { SSEEvent } from '../../src/client/index.ts';
import { mapEvents, transformEvents } from '../../src/middleware/index.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

const UPSTREAM = Array.from({ length: 40 }, (_, i) => `id: ${i}\ndata: ${i}\n\n`).join('');

/** A relay of UPSTREAM that throws at event `failAt` (never, when undefined). */
function relay(failAt: number | undefined, rebuilt: boolean) {
  const errors: unknown[] = [];
  const handler = toNodeHandler((request) => {
    const upstream = new Response(UPSTREAM, { headers: { 'content-type': 'text/event-stream' } });
    const response = transformEvents(
      upstream,
      { request, heartbeat: false, onError: (error) => void errors.push(error) },
      mapEvents((event: SSEEvent) => {
        if (Number(event.data) === failAt) throw new Error('transform failed');
        return { event: 'n', data: event.data };
      }),
    );
    // A middleware's new Response: the adapter reads the body.
    return rebuilt ? new Response(response.body, response) : response;
  });
  return { handler, errors };
}

const expected = (count: number) =>
  `:\n\n${Array.from({ length: count }, (_, i) => `event: n\nid: ${i}\ndata: ${i}\n\n`).join('')}`;

async function overHttp1(handler: ReturnType<typeof relay>['handler']) {
  const server = createServer(handler).listen(0, '127.0.0.1');
  closers.push(() => server.close());
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return new Promise<{ text: string; error?: string }>((resolve) => {
    httpRequest({ port, host: '127.0.0.1', path: '/' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ text }));
      res.on('error', (error) => resolve({ text, error: (error as { code?: string }).code }));
    }).end();
  });
}

async function overHttp2(handler: ReturnType<typeof relay>['handler']) {
  const server = createHttp2Server(handler).listen(0, '127.0.0.1');
  closers.push(() => server.close());
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const session = connectHttp2(`http://127.0.0.1:${port}`);
  closers.push(() => session.close());
  const stream = session.request({ ':path': '/' });
  stream.setEncoding('utf8');
  stream.on('error', () => {}); // the reset, read from rstCode below
  let text = '';
  stream.on('data', (chunk) => (text += chunk));
  // Not events.once: it rejects on the reset's 'error'.
  await new Promise((resolve) => stream.on('close', resolve));
  return { text, error: stream.rstCode ? `rst ${stream.rstCode}` : undefined };
}

for (const rebuilt of [false, true]) {
  const path = rebuilt ? 'body path' : 'direct path';
  test(`HTTP/1.1, ${path}: a failed relay closes without the last chunk, after every event before`, async () => {
    const failed = relay(30, rebuilt);
    expect(await overHttp1(failed.handler)).toEqual({ text: expected(30), error: 'ECONNRESET' });
    expect(failed.errors).toEqual([expect.objectContaining({ message: 'transform failed' })]);
    const whole = relay(undefined, rebuilt);
    expect(await overHttp1(whole.handler)).toEqual({ text: expected(40) });
  });

  test(`HTTP/2, ${path}: a failed relay resets the stream, after every event before`, async () => {
    const failed = relay(30, rebuilt);
    // The reset follows a last comment, so that it cannot overtake the events.
    expect(await overHttp2(failed.handler)).toEqual({
      text: `${expected(30)}:\n\n`,
      error: 'rst 2',
    });
    expect(failed.errors).toHaveLength(1);
    expect(await overHttp2(relay(undefined, rebuilt).handler)).toEqual({
      text: expected(40),
      error: undefined,
    });
  });
}
