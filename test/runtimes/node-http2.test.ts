/// <reference types="node" />
/**
 * The fixture app on a `node:http2` server through `toNodeHandler`, read by
 * Node's HTTP/2 client: HTTP/1-only headers must never reach it (Node's own
 * client rejects some, Safari drops the stream on them).
 */
import { type ClientHttp2Session, connect, constants, createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import { app } from './fixture/app.ts';
import { type Counter, uniqueKey } from './harness.ts';

const server = createServer(toNodeHandler(app));
let client: ClientHttp2Session;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
});

/** Opens `path` as an HTTP/2 stream; resolves with its headers, its text so far and the stream. */
function request(path: string) {
  const startedAt = performance.now();
  const stream = client.request({ ':path': path });
  stream.setEncoding('utf8');
  const state = { text: '', firstChunkAt: 0, ended: false, stream, startedAt };
  stream.on('data', (chunk: string) => {
    state.firstChunkAt ||= performance.now();
    state.text += chunk;
  });
  const ended = new Promise<void>((resolve) => stream.on('end', resolve).on('close', resolve));
  const headers = new Promise<Record<string, unknown>>((resolve) =>
    stream.once('response', resolve),
  );
  return { state, headers, ended };
}

async function counters(key: string, done: (c: Counter) => boolean): Promise<Counter> {
  const deadline = performance.now() + 1000;
  for (;;) {
    const { state, ended } = request(`/counters?key=${key}`);
    await ended;
    const counter = JSON.parse(state.text) as Counter;
    if (done(counter) || performance.now() > deadline) return counter;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function waitFor(condition: () => boolean, ms = 1000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('node:http2 (toNodeHandler as a compat request listener)', () => {
  test('no hop-by-hop header reaches the client; events arrive complete and in order', async () => {
    const { state, headers, ended } = request(`/ticker?count=5&interval=5&key=${uniqueKey('h2')}`);
    const received = await headers;
    for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade']) {
      expect(received).not.toHaveProperty(name);
    }
    expect(received[':status']).toBe(200);
    expect(received['content-type']).toBe('text/event-stream; charset=utf-8');
    await ended;
    const ids = [...state.text.matchAll(/^id: (\d+)$/gm)].map((match) => match[1]);
    expect(ids).toEqual(['1', '2', '3', '4', '5']);
  });

  test('hop-by-hop headers from a plain Response are stripped, not thrown on', async () => {
    const { state, headers, ended } = request('/hop-by-hop');
    const received = await headers;
    const hopByHop = ['connection', 'keep-alive', 'transfer-encoding'];
    expect(Object.keys(received).filter((name) => hopByHop.includes(name))).toEqual([]);
    expect(received[':status']).toBe(200);
    await ended;
    expect(state.text).toBe('data: one\n\n');
  });

  test('a silent source sends headers and a first chunk within 200 ms', async () => {
    const { state, headers } = request('/silent');
    await headers;
    await waitFor(() => state.text.length > 0);
    expect(state.firstChunkAt - state.startedAt).toBeLessThan(200);
    expect(state.text).toBe(':\n\n');
    state.stream.close(constants.NGHTTP2_CANCEL);
  });

  test('a cancelled HTTP/2 stream runs cleanup exactly once within 1 s', async () => {
    const key = uniqueKey('h2-cancel');
    const { state } = request(`/ticker?interval=20&key=${key}`);
    await waitFor(() => (state.text.match(/^event: tick$/gm) ?? []).length >= 2);
    state.stream.close(constants.NGHTTP2_CANCEL);
    const seen = await counters(key, (c) => c.finally > 0 && c.closes.length > 0);
    expect(seen).toEqual({ finally: 1, closes: ['disconnect'], signalAborts: 1 });
    expect(client.closed).toBe(false); // one stream ended, not the session
  });
});
