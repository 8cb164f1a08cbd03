// One MCP server process of the two-process test: the test's MCP server
// (mcp-server.ts) on Redis event stores. Prints `ready <port>` when it
// listens; GET /stats answers what it served.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import {
  createRedisEventStores,
  type RedisClientLike,
} from '../../../adapters/logs/redis/index.ts';
import { startMcpServer } from './mcp-server.ts';

const { REDIS_URL = '', REDIS_CLIENT = 'node-redis', PREFIX = 'mcp:', RETRY = '150' } = process.env;

const client: RedisClientLike =
  REDIS_CLIENT === 'ioredis'
    ? (new Redis(REDIS_URL) as unknown as RedisClientLike)
    : ((await createClient({ url: REDIS_URL }).connect()) as unknown as RedisClientLike);
const server = await startMcpServer({
  stores: createRedisEventStores({ client, prefix: PREFIX }),
  retryInterval: Number(RETRY),
});
process.stdout.write(`ready ${new URL(server.url).port}\n`);
