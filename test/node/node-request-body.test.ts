/// <reference types="node" />
/**
 * The request body behind `toNodeHandler`, case by case: each case one the
 * property test (`node-request-property.test.ts`) found, pinned.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { connect as connectHttp2, constants, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import { connect, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import {
  type NodeRequest,
  type NodeResponse,
  toNodeHandler,
} from '../../adapters/runtimes/node/index.ts';
import { sseResponse } from '../../src/index.ts';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/**
 * A server (HTTP/1.1 or HTTP/2) whose handler is `app`; `settled` resolves
 * when the adapter is done with the request (its listener's promise).
 */
async function serveWith(protocol: 'h1' | 'h2', app: (request: Request) => Promise<Response>) {
  const handler = toNodeHandler(app);
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const listener = (req: NodeRequest, res: NodeResponse) => void handler(req, res).then(settle);
  const server: Server = protocol === 'h1' ? createServer(listener) : createHttp2Server(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, settled };
}

/** What a promise came to: its value, or the name of its error. */
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ ok: value }),
    (error: Error) => ({ error: error.name }),
  );

test('HTTP/2: a client that resets its stream mid-upload fails the read, not ends it short', async () => {
  let read!: Promise<{ ok: unknown } | { error: string }>;
  const { port, settled } = await serveWith('h2', async (request) => {
    read = outcome(request.text().then((text) => text.length));
    await read;
    return new Response('done');
  });
  const session = connectHttp2(`http://127.0.0.1:${port}`);
  const stream = session.request({ ':method': 'POST', ':path': '/' }).on('error', () => {});
  stream.write('x'.repeat(1000));
  await new Promise((resolve) => setTimeout(resolve, 50));
  stream.destroy(); // RST_STREAM, as a browser that cancels an upload sends: 'aborted', then 'end'
  await settled;
  expect(await read).toEqual({ error: 'AbortError' });
  session.close();
});

test.each([
  [
    'holds a reader it no longer reads',
    (body: ReadableStream<Uint8Array>) => body.getReader().read(),
  ],
  ['cancels the body', (body: ReadableStream<Uint8Array>) => body.cancel()],
])(
  'HTTP/2: a handler that %s does not hold the stream open once its event stream is sent',
  async (_, stop) => {
    const { port, settled } = await serveWith('h2', async (request) => {
      await stop(request.body!);
      return sseResponse(['done'], { request }); // the direct path: over on the response's 'close'
    });
    const session = connectHttp2(`http://127.0.0.1:${port}`);
    const stream = session.request({ ':method': 'POST', ':path': '/' }).on('error', () => {});
    let text = '';
    stream.setEncoding('utf8').on('data', (chunk) => (text += chunk));
    // Reset while it still sends, Node's client ends the response but keeps the stream till its writes stop.
    const ended = new Promise((resolve) => stream.once('end', resolve));
    stream.end(Buffer.alloc(4 * 1024 * 1024)); // more than the windows and MAX_UNREAD
    let over = false;
    void settled.then(() => (over = true));
    const late = new Promise((resolve) => setTimeout(resolve, 3000));
    await Promise.race([Promise.all([settled, ended]), late]);
    expect(text).toBe(':\n\ndata: done\n\n');
    // The client is told to stop sending (RST_STREAM NO_ERROR), and the adapter is done.
    expect([stream.closed, stream.rstCode]).toEqual([true, constants.NGHTTP2_NO_ERROR]);
    expect(over).toBe(true);
    stream.destroy();
    session.close();
  },
);

test('HTTP/1.1: a client that leaves mid-upload after its response: the request ends, no listener stays', async () => {
  let req!: IncomingMessage;
  const handler = toNodeHandler(async (request) => {
    for await (const _ of request.body! as unknown as AsyncIterable<Uint8Array>) break;
    return new Response('done');
  });
  const server = createServer((incoming, res) => {
    req = incoming;
    void handler(incoming, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.write('POST / HTTP/1.1\r\nhost: test\r\ncontent-length: 1000000\r\n\r\n');
  socket.write(Buffer.alloc(300_000));
  await new Promise((resolve) => socket.once('data', resolve)); // the response
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 100));
  // Once its response is over, Node no longer ends such a request itself.
  expect(req.destroyed || req.readableEnded).toBe(true);
  const events = ['data', 'end', 'error', 'close', 'aborted'];
  const ours = events.flatMap((event) =>
    req.listeners(event).filter((listener) => listener.name !== 'clearIncoming'),
  );
  expect(ours).toEqual([]);
});

test("a body read after the response is over rejects, as Deno's does, instead of reading as empty", async () => {
  let late!: Request;
  const { port, settled } = await serveWith('h1', async (request) => {
    late = request;
    return new Response('early'); // the body is not read before the response ends
  });
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    body: 'x'.repeat(5000),
  });
  expect(await response.text()).toBe('early');
  await settled;
  expect(await outcome(late.text())).toEqual({ error: 'TypeError' });
});

test('a body first touched after the client left rejects instead of waiting for ever', async () => {
  let read!: Promise<{ ok: unknown } | { error: string }>;
  const { port, settled } = await serveWith('h1', async (request) => {
    await new Promise((resolve) => request.signal.addEventListener('abort', resolve));
    read = outcome(request.text());
    return new Response('gone');
  });
  const socket = connect(port, '127.0.0.1');
  socket.write('POST / HTTP/1.1\r\nhost: test\r\ncontent-length: 1000\r\n\r\nhalf');
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.destroy();
  await settled;
  const late = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2000));
  expect(await Promise.race([read, late])).toEqual({ error: 'AbortError' });
});
