// Fastify 5 serving an ssekit event stream. From the repository root, after
// `npm run build` (`ssekit` then resolves to dist/):
//   PORT=3000 node examples/run.mjs examples/fastify/server.ts
import Fastify, { type FastifyRequest } from 'fastify';
import { sleep, sseResponse } from 'ssekit';

/**
 * The request as ssekit reads it: the client's `Last-Event-ID`, and a signal
 * that aborts when the client leaves.
 */
function webRequest(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    // HTTP/2 pseudo-headers (`:path`) are not header names a Request takes.
    if (typeof value === 'string' && !name.startsWith(':')) headers.set(name, value);
  }
  return new Request(new URL(request.url, 'http://localhost'), { headers, signal: request.signal });
}

const app = Fastify();

// Fastify 5 sends a returned Response itself: its status and headers, then
// its body, read only as fast as the client takes it, and cancelled when the
// client leaves.
app.get('/events', async (request) =>
  sseResponse(
    async function* ({ lastEventId, signal }) {
      let n = Number(lastEventId) || 0;
      try {
        do yield { event: 'tick', id: ++n, data: { n, at: Date.now() } };
        while (await sleep(1000, signal));
      } finally {
        console.log(`events: stopped after #${n}`);
      }
    },
    {
      request: webRequest(request),
      onClose: ({ reason }) => console.log(`events: closed (${reason})`),
    },
  ),
);

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${address}/events`);
