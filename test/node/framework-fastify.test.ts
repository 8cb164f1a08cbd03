// ssekit inside Fastify 5 on Node, the two ways docs/frameworks.md shows: a
// route returns the Response (Fastify copies its status and headers and
// reads its body with backpressure, cancelling it when the client leaves),
// or a route hijacks the reply and hands the raw request and response to
// ssekit/node. Then examples/fastify/server.ts, bundled and run as a user
// runs it.
import { get } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, test } from 'vitest';
import { toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import type { SSESource } from '../../src/index.ts';
import { type CloseReason, sseResponse } from '../../src/index.ts';
import { gatedSource, readUntil, within } from '../core/middleware-helpers.ts';
import { bundle, open, spawnServer } from '../runtimes/harness.ts';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** As in docs/frameworks.md: the request as ssekit reads it. */
function webRequest(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string' && !name.startsWith(':')) headers.set(name, value);
  }
  return new Request(new URL(request.url, 'http://localhost'), { headers, signal: request.signal });
}

type Route = (source: SSESource, onClose: (reason: CloseReason) => void) => FastifyInstance;

const ways: [string, Route][] = [
  [
    'the route returns the Response',
    (source, onClose) =>
      Fastify({ forceCloseConnections: true }).get('/events', async (request) =>
        sseResponse(source, {
          request: webRequest(request),
          heartbeat: false,
          onClose: ({ reason }) => onClose(reason),
        }),
      ),
  ],
  [
    'the route hijacks the reply for ssekit/node',
    (source, onClose) => {
      const events = toNodeHandler((request) =>
        sseResponse(source, {
          request,
          heartbeat: false,
          onClose: ({ reason }) => onClose(reason),
        }),
      );
      return Fastify({ forceCloseConnections: true }).get('/events', (request, reply) => {
        reply.hijack();
        return events(request.raw, reply.raw);
      });
    },
  ],
];

async function listen(app: FastifyInstance): Promise<string> {
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

describe('Fastify 5', () => {
  test.each(ways)(
    '%s: headers at once, events live, a client leaving ends the source',
    async (_, route) => {
      const gate = gatedSource();
      let reason: CloseReason | undefined;
      const url = await listen(route(gate.source, (why) => (reason = why)));

      const client = new AbortController();
      const response = await within(
        fetch(`${url}/events`, { headers: { 'accept-encoding': 'gzip' }, signal: client.signal }),
        1000,
      );
      // The headers come before any event exists.
      if (response === 'timeout') throw new Error('headers never came');
      expect(gate.produced).toBe(0);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      expect(response.headers.has('content-length')).toBe(false);
      expect(response.headers.has('content-encoding')).toBe(false);

      // Event 1 arrives while event 2 does not exist yet: nothing buffers it.
      const reader = response.body!.getReader();
      gate.release();
      expect(await within(readUntil(reader, 'data: {"n":1}'), 2000)).toContain('event: odd\nid: 1');
      expect(gate.produced).toBe(1);
      gate.release();
      expect(await within(readUntil(reader, 'data: {"n":2}'), 2000)).not.toBe('timeout');

      client.abort();
      expect(await within(gate.finished, 2000)).not.toBe('timeout');
      expect(gate.finallyRan).toBe(true);
      expect(reason).toBe('disconnect');
    },
  );

  test.each(ways)('%s: a client that stops reading stops the source', async (_, route) => {
    let produced = 0;
    const chunk = 'x'.repeat(64 * 1024);
    const source = async function* ({ signal }: { signal: AbortSignal }) {
      while (!signal.aborted) yield { id: ++produced, data: chunk };
    };
    const url = await listen(route(source, () => {}));
    // A node:http client, paused: it reads nothing, so TCP pushes back.
    const request = get(`${url}/events`, (response) => response.pause());
    try {
      const settled = async () => {
        for (let last = -1; ; ) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          if (produced === last) return produced;
          last = produced;
        }
      };
      const plateau = await within(settled(), 3000);
      // What socket buffers hold on loopback, then nothing more: a source
      // read without backpressure would run on forever (and fill the memory).
      expect(plateau).not.toBe('timeout');
      expect(produced * chunk.length).toBeLessThan(64 * 1024 * 1024);
    } finally {
      request.destroy();
    }
  });

  test('examples/fastify: streams ticks, resumes after Last-Event-ID, cleans up', async () => {
    const served = await spawnServer(process.execPath, [
      await bundle('examples/fastify/server.ts', 'node', ['fastify']),
    ]);
    try {
      const stream = await open(served.url, '/events', { 'last-event-id': '41' });
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      await stream.until((s) => s.events.filter((e) => e.event === 'tick').length >= 1, 5000);
      const firstAt = Date.now();
      await stream.until((s) => s.events.filter((e) => e.event === 'tick').length >= 2, 5000);
      const [first, second] = stream.events.filter((e) => e.event === 'tick');
      expect(first?.id).toBe('42');
      expect(second?.id).toBe('43');
      // Tick 42 was read before tick 43 was made.
      expect(firstAt).toBeLessThan(JSON.parse(second!.data!).at);

      stream.disconnect();
      const deadline = Date.now() + 2000;
      while (!served.printed!().includes('events: stopped after #') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(served.printed!()).toContain('events: closed (disconnect)');
      expect(served.printed!()).toMatch(/events: stopped after #4[34]/);
    } finally {
      await served.stop();
    }
  }, 30_000);
});
