/**
 * ssekit/redis: the hub's log on a Redis Stream, so that several server
 * processes share one ordered, replayable history; and the store of
 * resumable streams (`createRedisStreamStore`, in redis-stream-store.ts),
 * so that an answer started on one process is resumed, followed and stopped
 * from any. Bring your own client (node-redis or ioredis, or an ioredis
 * `Cluster` for the stream store); ssekit depends on none.
 *
 * - One stream (`key`) holds every topic: `XADD` assigns the ids, so they
 *   increase across topics and a subscriber of several resumes from its one
 *   `Last-Event-ID`. An id is `<epoch>-<stream id>`: the epoch (kept in a
 *   key beside the stream, and in each entry) is new when the stream is, so
 *   an id of another key, another server, or a stream deleted and made
 *   again gets `reset`.
 * - One follower per process (`XREAD BLOCK` on its own connection) reads new
 *   entries once and fans them out to local subscribers; publishing on any
 *   process reaches subscribers on every process.
 * - Replay runs as one Lua script per page: it reads what came after the
 *   cursor for the subscriber's topics and whether anything after it was
 *   trimmed, in one atomic step, so a trim racing a replay cannot hide a gap.
 *   A page holds at most a subscriber's queue bounds and looks at no more
 *   than 1000 entries, so no replay blocks Redis for long.
 * - Entries the log did not write (an `XADD` by something else on the same
 *   key) are skipped, and reported once per process through `onError`.
 *
 * @module
 */
import { need, needCount } from '../../../src/checks.ts';
import { type HubEntry, type HubLog, type HubPage, newEpoch } from '../../../src/hub/index.ts';
import { sleep } from '../../../src/signal.ts';
import { RedisForeignEntryError } from './foreign-entry-error.ts';
import { commander, type RedisClientLike } from './redis-client.ts';
import { PUBLISH, REPLAY, REPLAY_SCAN } from './redis-scripts.ts';
import { compareIds, epochKey, ourEntry, replayCursor, streamEntries } from './redis-stream.ts';
import { type RedisTrim, trimArguments } from './redis-trim.ts';

export { RedisForeignEntryError } from './foreign-entry-error.ts';
export type { RedisClientLike } from './redis-client.ts';
export { createRedisStreamStore, type RedisStreamStoreOptions } from './redis-stream-store.ts';
export { RedisSubscriberLostError } from './redis-subscriber.ts';
export type { RedisTrim } from './redis-trim.ts';

/**
 * Options of {@link createRedisLog}.
 *
 * @example
 * ```ts
 * createRedisLog({ client, key: 'app:events', trim: { maxAge: 10 * 60_000 } });
 * ```
 */
export interface RedisLogOptions {
  /** A connected client for `XADD` and replay. */
  client: RedisClientLike;
  /** A connection for the follower's blocking reads. Default: `client.duplicate()`, connected and closed by the log. */
  blockingClient?: RedisClientLike;
  /** The stream's key. Default `'ssekit:hub'`. */
  key?: string;
  /** Trimming on every publish. Default `{ maxLen: 10_000 }`. */
  trim?: RedisTrim;
  /** Milliseconds one blocking read waits. Default 5000. */
  block?: number;
  /**
   * Told when the follower's read fails (it retries, backing off from half a
   * second to 10 s), of entries it skips ({@link RedisForeignEntryError}),
   * and of the clients' `'error'` events when nothing else listens to them.
   * Default `console.error`.
   */
  onError?: (error: unknown) => void;
}

/**
 * A {@link HubLog} on a Redis Stream, shared by every process that uses the
 * same `key`: pass it to `createHub({ log })` in each.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { createHub } from 'ssekit/hub';
 * import { createRedisLog } from 'ssekit/redis';
 *
 * const client = await createClient({ url: process.env.REDIS_URL })
 *   .on('error', (error) => console.error('redis:', error)) // node-redis: or an error ends the process
 *   .connect();
 * const hub = createHub({ log: createRedisLog({ client, trim: { maxLen: 50_000 } }) });
 * ```
 */
export function createRedisLog(options: RedisLogOptions): HubLog {
  const { client, key = 'ssekit:hub', trim = { maxLen: 10_000 }, block = 5000 } = options ?? {};
  const onError = options?.onError ?? ((error) => console.error('ssekit/redis:', error));
  const run = commander(client, 'client');
  need(typeof key === 'string' && key !== '', 'key', 'a non-empty string', key);
  const keys = ['2', key, epochKey(key)];
  const trimArgs = trimArguments(trim);
  needCount('block', block);
  const listeners = new Set<(entry: HubEntry) => void>();
  let follower: Promise<void> | undefined;
  let stopped = false;
  let blocking: RedisClientLike | undefined;
  let blockingId: string | undefined;
  let owned = false;
  // Aborted by close(): it cuts short the wait between two attempts.
  const stopping = new AbortController();
  // node-redis throws an 'error' event nobody listens to out of its emitter,
  // which ends the process: while the log uses a client, it listens too, and
  // reports what no one else hears.
  const guarded: [RedisClientLike, (error: unknown) => void][] = [];
  const guard = (target: RedisClientLike, always: boolean) => {
    const listener = (error: unknown) => {
      if (always || (target.listenerCount?.('error') ?? 1) <= 1) onError(error);
    };
    target.on?.('error', listener);
    guarded.push([target, listener]);
  };
  guard(client, false);
  if (options.blockingClient && options.blockingClient !== client) {
    guard(options.blockingClient, false);
  }

  if (!options.blockingClient) {
    need(
      typeof client.duplicate === 'function',
      'client',
      'a client with duplicate()',
      client,
      'Pass blockingClient, a second connection for blocking reads.',
    );
  }

  const follow = async () => {
    // Sent first, on the client that publishes: this process's later
    // publishes come after the starting point, whatever the setup costs.
    let start: Promise<unknown> | undefined = run(['XREVRANGE', key, '+', '-', 'COUNT', '1']);
    start.catch(() => {}); // a failure is handled in the loop, with a retry
    blocking = options.blockingClient;
    if (!blocking) {
      blocking = client.duplicate!();
      owned = true;
      guard(blocking, true);
    }
    const read = commander(blocking, 'blockingClient');
    const xread = ['XREAD', 'COUNT', '1000', 'BLOCK', String(block), 'STREAMS', key];
    let last: string | undefined;
    let failures = 0;
    while (!stopped) {
      try {
        if (owned && (blocking.isOpen === false || blocking.status === 'wait')) {
          await blocking.connect?.();
        }
        if (last === undefined) {
          const newest = (await (start ??
            run(['XREVRANGE', key, '+', '-', 'COUNT', '1']))) as unknown[][];
          last = (newest?.[0]?.[0] as string | undefined) ?? '0-0';
        }
        // A reconnected client has a new id: ask again after any failure.
        blockingId ??= String(await read(['CLIENT', 'ID']));
        const reply = await read([...xread, last]);
        failures = 0;
        for (const raw of streamEntries(reply)) {
          if (stopped) return;
          const entry = ourEntry(raw);
          last = String((raw as unknown[])[0]);
          // Another program's entry: told once, and passed over.
          if (!entry) onError(new RedisForeignEntryError(key, last, (raw as unknown[])[1]));
          else for (const listener of listeners) listener(entry);
        }
      } catch (error) {
        if (stopped) return;
        start = blockingId = undefined;
        onError(error);
        // 0.5 s, 1 s, 2 s … up to 10 s between attempts; close cuts it short.
        await sleep(Math.min(10_000, 500 * 2 ** failures++), stopping.signal);
      }
    }
  };

  const stop = async () => {
    stopped = true;
    // Disconnecting our own connection fails its pending XREAD at once; on
    // the caller's connection, CLIENT UNBLOCK ends the wait instead.
    if (owned) await Promise.resolve(blocking?.disconnect?.()).catch(() => {});
    else if (blockingId) await run(['CLIENT', 'UNBLOCK', blockingId]).catch(() => {});
    stopping.abort();
    await follower;
    for (const [target, listener] of guarded.splice(0)) target.off?.('error', listener);
  };

  return {
    async append(topics, body) {
      const args = ['EVAL', PUBLISH, ...keys, '\n' + topics.join('\n') + '\n', body, newEpoch()];
      return String(await run([...args, ...trimArgs()]));
    },
    follow(listener) {
      listeners.add(listener);
      follower ??= follow().catch(onError);
      return () => {
        listeners.delete(listener);
      };
    },
    async read(cursor, topics, limits): Promise<HubPage> {
      const { entries: most, bytes } = limits;
      const at = replayCursor(cursor);
      const bounds = [String(most), String(bytes), REPLAY_SCAN];
      const args = [at?.epoch ?? '', at?.id ?? '', ...bounds, ...topics];
      const reply = await run(['EVAL', REPLAY, ...keys, ...args]);
      const [newest, replayable, found, next] = reply as [string, number, unknown[], string];
      const entries: HubEntry[] = [];
      for (const raw of found) {
        const entry = ourEntry(raw);
        if (entry) entries.push(entry);
      }
      return {
        entries,
        tooOld: Number(replayable) !== 1,
        head: newest === '' ? undefined : newest,
        next: next === '' ? undefined : next,
      };
    },
    compare: compareIds,
    close: stop,
  };
}
