import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisClientLike } from '../../../adapters/logs/redis/index.ts';

/** Connects one client to `url`, and how to let it go. */
export type Connect = (
  url: string,
) => Promise<{ client: RedisClientLike; quit(): Promise<unknown> }>;

/** The two clients every Redis suite runs with: node-redis and ioredis. */
export const clients: [string, Connect][] = [
  [
    'node-redis',
    async (url) => {
      const client = await createClient({ url }).connect();
      return { client: client as unknown as RedisClientLike, quit: () => client.close() };
    },
  ],
  [
    'ioredis',
    async (url) => {
      const client = new Redis(url);
      return { client: client as unknown as RedisClientLike, quit: () => client.quit() };
    },
  ],
];

/** Sends one command, on node-redis or ioredis. */
export const command = (client: RedisClientLike, args: string[]) =>
  client.call ? client.call(args[0]!, ...args.slice(1)) : client.sendCommand!(args);
