/**
 * The Redis client the log is given, duck-typed: ssekit depends on neither
 * node-redis nor ioredis, and runs a command on either.
 *
 * @module
 */
import { need } from '../../../src/checks.ts';

/**
 * The part of a Redis client the log uses: ioredis's `call(name, ...args)` or
 * node-redis's `sendCommand([name, ...args])`, plus `duplicate()` for the
 * follower's own connection.
 *
 * @example
 * ```ts
 * const client: RedisClientLike = new Redis(url); // ioredis
 * const other: RedisClientLike = await createClient({ url }).connect(); // node-redis
 * ```
 */
export interface RedisClientLike {
  call?(command: string, ...args: string[]): Promise<unknown>;
  // Loose on purpose: ioredis has a sendCommand of its own (a Command
  // object), and its clients are used through call.
  sendCommand?(args: any, ...rest: any[]): unknown;
  duplicate?(): RedisClientLike;
  connect?(): Promise<unknown>;
  disconnect?(): unknown;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  off?(event: 'error', listener: (error: unknown) => void): unknown;
  listenerCount?(event: 'error'): number;
  isOpen?: boolean;
  status?: string;
}

/** @internal Runs a command on an ioredis client (`call`) or a node-redis one (`sendCommand`). */
export function commander(client: RedisClientLike, name: string) {
  if (typeof client?.call === 'function') {
    return (args: string[]) => client.call!(args[0]!, ...args.slice(1));
  }
  if (typeof client?.sendCommand === 'function')
    return (args: string[]) => client.sendCommand!(args) as Promise<unknown>;
  need(
    false,
    name,
    'a Redis client: an ioredis client (with call) or a node-redis client (with sendCommand)',
    client,
    'Pass a connected client.',
  );
}
