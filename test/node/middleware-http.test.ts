import { brotliDecompressSync, constants, inflateSync, unzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { serve } from '../../adapters/runtimes/node/index.ts';
import { nodeCompressor } from '../../adapters/runtimes/node-compress.ts';
import type { SSEEvent } from '../../src/client/index.ts';
import { sseResponse } from '../../src/index.ts';
import {
  type ContentEncoding,
  compose,
  compress,
  etag,
  filterEvents,
  transformEvents,
} from '../../src/middleware/index.ts';
import { gatedSource, readUntil, within } from '../core/middleware-helpers.ts';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(handler: (request: Request) => Response | Promise<Response>) {
  const server = await serve(handler, { port: 0, hostname: '127.0.0.1', grace: 100 });
  servers.push(server);
  return server.url;
}

// Decoders that read a stream cut anywhere, as a browser does mid-stream.
const partial: Record<ContentEncoding, (bytes: Buffer) => Buffer> = {
  gzip: (bytes) => unzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }),
  deflate: (bytes) => inflateSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }),
  br: (bytes) => brotliDecompressSync(bytes, { finishFlush: constants.BROTLI_OPERATION_FLUSH }),
};

describe('nodeCompressor', () => {
  test.each(['gzip', 'deflate', 'br'] as const)(
    '%s with flush: every event decodes as soon as it is written',
    async (encoding) => {
      const stream = nodeCompressor().stream(encoding, { flush: true });
      const writer = stream.writable.getWriter();
      const reader = stream.readable.getReader();
      let compressed = Buffer.alloc(0);
      for (let n = 1; n <= 3; n++) {
        const event = `event: tick\ndata: {"n":${n},"text":"hello"}\n\n`;
        void writer.write(new TextEncoder().encode(event));
        // Read until the event decodes: it must, without another write.
        for (;;) {
          const { value } = await reader.read();
          compressed = Buffer.concat([compressed, value!]);
          if (partial[encoding](compressed).toString().endsWith(event)) break;
        }
      }
      await writer.close();
      while (!(await reader.read()).done) {}
    },
  );

  test('without flush it compresses a whole body like plain zlib', async () => {
    const body = JSON.stringify(Array.from({ length: 500 }, (_, n) => ({ n })));
    const compressed = new Response(
      new Response(body).body!.pipeThrough(nodeCompressor().stream('gzip', { flush: false })),
    );
    const bytes = Buffer.from(await compressed.arrayBuffer());
    expect(bytes.length).toBeLessThan(body.length / 3);
    expect(unzipSync(bytes).toString()).toBe(body);
  });
});

describe('over real HTTP', () => {
  test.each(['gzip', 'br', 'deflate'] as const)(
    'compose(compress(%s, per event), etag(), ...): live events, cancel reaches the source',
    async (encoding) => {
      const gate = gatedSource();
      const seen: string[] = [];
      const url = await start(
        compose(
          compress({ compressor: nodeCompressor(), eventStreams: true }),
          etag(),
          async (request, next) => {
            seen.push(request.headers.get('accept-encoding') ?? '');
            return next();
          },
        )((request) => sseResponse(gate.source, { request, heartbeat: false })),
      );
      const client = new AbortController();
      const response = await fetch(url, {
        headers: { 'accept-encoding': encoding },
        signal: client.signal,
      });
      expect(seen).toEqual([encoding]);
      expect(response.headers.get('content-encoding')).toBe(encoding);
      // fetch decodes: the reader sees plain event-stream text.
      const reader = response.body!.getReader();
      gate.release();
      expect(await readUntil(reader, 'data: {"n":1}')).toContain('event: odd');
      expect(gate.produced).toBe(1);
      gate.release();
      expect(await readUntil(reader, 'data: {"n":2}')).toContain('event: even');
      client.abort();
      expect(await within(gate.finished, 2000)).not.toBe('timeout');
    },
  );

  test('transformEvents relays one ssekit server through another; a far abort ends upstream', async () => {
    const gate = gatedSource();
    let upstreamRequests = 0;
    const upstream = await start((request) => {
      upstreamRequests++;
      return sseResponse(gate.source, { request, heartbeat: false });
    });
    const relay = await start(async (request) =>
      transformEvents(
        await fetch(upstream, { signal: request.signal }),
        { request, heartbeat: false },
        filterEvents((event: SSEEvent) => event.event === 'odd'),
      ),
    );
    const client = new AbortController();
    const response = await fetch(relay, { signal: client.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    gate.release();
    let text = await readUntil(reader, 'data: {"n":1}', decoder);
    gate.release();
    gate.release();
    text += await readUntil(reader, 'data: {"n":3}', decoder);
    expect(text).toBe(
      ':\n\nevent: odd\nid: 1\ndata: {"n":1}\n\nevent: odd\nid: 3\ndata: {"n":3}\n\n',
    );
    expect(upstreamRequests).toBe(1);
    client.abort();
    expect(await within(gate.finished, 2000)).not.toBe('timeout');
    expect(gate.finallyRan).toBe(true);
  });
});
