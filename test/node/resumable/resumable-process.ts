// One server process of the multi-process resumable stream tests: resumable
// streams on a Redis stream store behind a plain node:http server. Prints
// `ready <port>` when it listens, and `aborted <id> <ms>` (Date.now()) when a
// producer's signal aborts.
//   POST /start?id=x&chunks=n&every=ms  starts stream x (chunk 0 … n-1, one
//                                      every ms) and answers with its reader
//   GET  /resume?id=x                  a reader (after Last-Event-ID if sent)
//   POST /stop?id=x                    'true' or 'false'
//   GET  /status?id=x                  the state
// An SSEOptionError (a hostile id) answers 400 with its message.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import {
  createRedisStreamStore,
  type RedisClientLike,
} from '../../../adapters/logs/redis/index.ts';
import { createResumableStreams, SSEOptionError } from '../../../src/resumable/index.ts';

const { REDIS_URL = '', REDIS_CLIENT = 'ioredis', LEASE = '1500', POLL = '250' } = process.env;

const client: RedisClientLike =
  REDIS_CLIENT === 'ioredis'
    ? (new Redis(REDIS_URL) as unknown as RedisClientLike)
    : ((await createClient({ url: REDIS_URL })
        .on('error', () => {}) // reported by the store's onError
        .connect()) as unknown as RedisClientLike);
const streams = createResumableStreams({
  store: createRedisStreamStore({ client, onError: () => {} }),
  lease: Number(LEASE),
  poll: Number(POLL),
  endMessages: (end) => [{ event: 'end', data: JSON.stringify(end) }],
  onError: () => {},
});

async function* chunks(id: string, count: number, every: number, signal: AbortSignal) {
  signal.addEventListener('abort', () => {
    process.stdout.write(`aborted ${id} ${Date.now()}\n`);
  });
  for (let n = 0; n < count && !signal.aborted; n++) {
    yield { data: `${id} chunk ${n}` };
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const id = url.searchParams.get('id') ?? '';
  try {
    switch (url.pathname) {
      case '/start': {
        const count = Number(url.searchParams.get('chunks') ?? 10);
        const every = Number(url.searchParams.get('every') ?? 10);
        return await streams.start(id, ({ signal }) => chunks(id, count, every, signal), {
          request,
          heartbeat: false,
        });
      }
      case '/resume':
        return await streams.resume(id, { request, heartbeat: false });
      case '/stop':
        return new Response(String(await streams.stop(id)));
      case '/status':
        return new Response(await streams.status(id));
    }
    return new Response('not found', { status: 404 });
  } catch (error) {
    const status = error instanceof SSEOptionError ? 400 : 500;
    return new Response(String(error), { status });
  }
}

const server = createServer(async (req, res) => {
  const disconnect = new AbortController();
  res.once('close', () => disconnect.abort());
  const request = new Request(`http://127.0.0.1${req.url}`, {
    method: req.method,
    headers: req.headers as Record<string, string>,
    signal: disconnect.signal,
  });
  const response = await handle(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.flushHeaders();
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  disconnect.signal.addEventListener('abort', () => reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // The reader failed (Redis went away): the client resumes.
    res.destroy();
    return;
  }
  res.end();
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`ready ${port}\n`);
});
