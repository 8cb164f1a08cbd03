/**
 * The Elysia app of framework-elysia.test.ts, run by Bun (Elysia is a Bun
 * framework). Elysia has no compression middleware of its own, so ssekit's
 * compress() and etag() go in as an Elysia `mapResponse` hook. The test
 * drives the event source over HTTP: POST /release lets it produce one event,
 * GET /state tells what it produced and whether its `finally` ran.
 */
import { Elysia } from 'elysia';
import { nodeCompressor } from '../../adapters/runtimes/node-compress.ts';
import { sseResponse } from '../../src/index.ts';
import { compose, compress, etag } from '../../src/middleware/index.ts';
import { gatedSource } from '../core/middleware-helpers.ts';

const perEvent = compose(compress({ compressor: nodeCompressor(), eventStreams: true }), etag());
const passThrough = compose(compress(), etag());
let gate = gatedSource();
const config = { items: Array.from({ length: 200 }, (_, n) => ({ n, name: 'item' })) };

new Elysia()
  .mapResponse(({ request, responseValue }) => {
    const middleware = new URL(request.url).searchParams.has('compress') ? perEvent : passThrough;
    const response =
      responseValue instanceof Response ? responseValue : Response.json(responseValue);
    return middleware(() => response)(request);
  })
  .get('/events', ({ request }) => {
    gate = gatedSource();
    return sseResponse(gate.source, { request, heartbeat: false });
  })
  .get('/config', () => config)
  .post('/release', () => {
    gate.release();
    return { ok: true };
  })
  .get('/state', () => ({ produced: gate.produced, finallyRan: gate.finallyRan }))
  .listen({ port: 0, hostname: '127.0.0.1' }, (server) => {
    console.log(`listening ${server.url}`);
  });
