// One server process of the multi-process Redis test: a hub on a shared Redis
// Stream behind a plain node:http server. Prints `ready <port>` when it
// listens. GET /events?topic=t streams; POST /publish?topic=t publishes the
// body and answers with the id.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createRedisLog, type RedisClientLike } from '../../../adapters/logs/redis/index.ts';
import { createHub } from '../../../src/hub/index.ts';
import { sseResponse } from '../../../src/index.ts';

const { REDIS_URL = '', REDIS_CLIENT = 'node-redis', STREAM_KEY = 'test:processes' } = process.env;

const client: RedisClientLike =
  REDIS_CLIENT === 'ioredis'
    ? (new Redis(REDIS_URL) as unknown as RedisClientLike)
    : ((await createClient({ url: REDIS_URL }).connect()) as unknown as RedisClientLike);
const hub = createHub({ log: createRedisLog({ client, key: STREAM_KEY }) });

async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const topic = url.searchParams.get('topic') ?? 'feed';
  if (request.method === 'POST') {
    return new Response(await hub.publish(topic, await request.text()));
  }
  return sseResponse((ctx) => hub.subscribe(topic, ctx), { request, heartbeat: false });
}

const server = createServer(async (req, res) => {
  const disconnect = new AbortController();
  res.once('close', () => disconnect.abort());
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const request = new Request(`http://127.0.0.1${req.url}`, {
    method: req.method,
    headers: req.headers as Record<string, string>,
    body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
    signal: disconnect.signal,
  });
  const response = await handle(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.flushHeaders();
  const reader = response.body!.getReader();
  disconnect.signal.addEventListener('abort', () => reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // The client left.
  }
  res.end();
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`ready ${port}\n`);
});
