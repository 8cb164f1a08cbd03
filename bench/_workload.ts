// The one workload the encode and HTTP benchmarks share: the same events
// (event name, numeric id, ~100 bytes of JSON) from ssekit and from the
// peers' own SSE helpers, each used as its documentation shows.
import { EventStream, H3 } from 'h3';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';

export const payload = {
  user: 'ada',
  action: 'update',
  value: 12345,
  tags: ['alpha', 'beta'],
  ok: true,
  note: 'x'.repeat(24),
};

/** A Hono app whose `/` streams `count` events with `streamSSE`. */
export function honoApp(count: number) {
  return new Hono().get('/', (c) =>
    streamSSE(c, async (stream) => {
      for (let id = 0; id < count; id++) {
        await stream.writeSSE({ event: 'update', id: String(id), data: JSON.stringify(payload) });
      }
    }),
  );
}

/** An h3 app whose `/` streams `count` events with its `EventStream`. */
export function h3App(count: number) {
  return new H3().get('/', (event) => {
    const stream = new EventStream(event);
    (async () => {
      for (let id = 0; id < count; id++) {
        await stream.push({ event: 'update', id: String(id), data: JSON.stringify(payload) });
      }
      await stream.close();
    })();
    return stream;
  });
}
