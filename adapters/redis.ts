/**
 * ssekit/redis: the hub's log on a Redis Stream, so that several server
 * processes share one ordered, replayable history. Bring your own client
 * (node-redis or ioredis); ssekit depends on neither.
 *
 * - One stream (`key`) holds every topic: `XADD` assigns the ids, so they
 *   increase across topics and a subscriber of several resumes from its one
 *   `Last-Event-ID`.
 * - One follower per process (`XREAD BLOCK` on its own connection) reads new
 *   entries once and fans them out to local subscribers; publishing on any
 *   process reaches subscribers on every process.
 * - Replay runs as one Lua script: it reads what came after the cursor for
 *   the subscriber's topics and whether anything after it was trimmed, in one
 *   atomic step, so a trim racing a replay cannot hide a gap.
 *
 * @module
 */
import { SSEOptionError } from '../src/errors.ts';
import type { HubEntry, HubLog, HubReplay } from '../src/hub/index.ts';
import { hubEntry } from '../src/hub/index.ts';

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
  sendCommand?(args: string[]): Promise<unknown>;
  duplicate?(): RedisClientLike;
  connect?(): Promise<unknown>;
  disconnect?(): unknown;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  isOpen?: boolean;
  status?: string;
}

/**
 * How the stream is kept short. `XADD` trims with `~` (approximate, cheap):
 * Redis keeps at least what you ask for, sometimes a little more.
 * - `{ maxLen }`: `MAXLEN ~ n`, the last n entries of all topics.
 * - `{ maxAge }`: `MINID ~ now - maxAge`, the entries of the last maxAge ms
 *   (by the publishing process's clock).
 * - `false`: never trimmed (trim it yourself).
 *
 * @example
 * ```ts
 * createRedisLog({ client, trim: { maxAge: 15 * 60_000 } }); // a 15-minute replay window
 * ```
 */
export type RedisTrim = { maxLen: number } | { maxAge: number } | false;

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
  /** Told when the follower's read fails; it retries after a second. Default `console.error`. */
  onError?: (error: unknown) => void;
}

// Every entry records the id before it (field p): a replay can then tell a
// cursor whose successor is still there from one whose successors were
// trimmed. Redis's own max-deleted-entry-id does not count trimming.
// KEYS[1] the stream; ARGV: topics, body, trim arguments.
const PUBLISH = `
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local command = {'XADD', KEYS[1]}
for i = 3, #ARGV do command[#command + 1] = ARGV[i] end
for _, value in ipairs({'*', 'p', newest and newest[1] or '0-0', 't', ARGV[1], 'b', ARGV[2]}) do
  command[#command + 1] = value
end
return redis.call(unpack(command))
`;
// KEYS[1] the stream; ARGV: the cursor ('' if malformed), the topics.
// Returns { newest id or '', 1 if replayable else 0, matching entries }.
const REPLAY = `
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if not newest or ARGV[1] == '' then return {newest and newest[1] or '', 0, {}} end
local next = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', 1)[1]
if (next and next[2][2] or newest[1]) ~= ARGV[1] then return {newest[1], 0, {}} end
local found = {}
local from = '(' .. ARGV[1]
while true do
  local page = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', 1000)
  for _, entry in ipairs(page) do
    for j = 2, #ARGV do
      if string.find(entry[2][4], '\\n' .. ARGV[j] .. '\\n', 1, true) then
        found[#found + 1] = entry
        break
      end
    end
  end
  if #page < 1000 then return {newest[1], 1, found} end
  from = '(' .. page[#page][1]
end
`;
const STREAM_ID = /^\d+-\d+$/;

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
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const hub = createHub({ log: createRedisLog({ client, trim: { maxLen: 50_000 } }) });
 * ```
 */
export function createRedisLog(options: RedisLogOptions): HubLog {
  const { client, key = 'ssekit:hub', trim = { maxLen: 10_000 }, block = 5000 } = options ?? {};
  const onError = options?.onError ?? ((error) => console.error('ssekit/redis:', error));
  const run = _commander(client, 'client');
  if (typeof key !== 'string' || key === '') {
    throw new SSEOptionError(`key must be a non-empty string, got ${String(key)}.`);
  }
  const trimArgs = _trimArgs(trim);
  if (!(Number.isSafeInteger(block) && block > 0)) {
    throw new SSEOptionError(`block must be a whole number of milliseconds above 0, got ${block}.`);
  }
  const listeners = new Set<(entry: HubEntry) => void>();
  let follower: Promise<void> | undefined;
  let stopped = false;
  let blocking: RedisClientLike | undefined;
  let blockingId: string | undefined;
  let owned = false;

  if (!options.blockingClient && typeof client.duplicate !== 'function') {
    throw new SSEOptionError(
      'The client has no duplicate(): pass blockingClient, a second connection for blocking reads.',
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
      blocking.on?.('error', onError);
      if (blocking.isOpen === false || blocking.status === 'wait') await blocking.connect?.();
    }
    const read = _commander(blocking, 'blockingClient');
    const xread = ['XREAD', 'COUNT', '1000', 'BLOCK', String(block), 'STREAMS', key];
    let last: string | undefined;
    while (!stopped) {
      try {
        if (last === undefined) {
          const newest = (await (start ??
            run(['XREVRANGE', key, '+', '-', 'COUNT', '1']))) as unknown[][];
          last = (newest?.[0]?.[0] as string | undefined) ?? '0-0';
        }
        // A reconnected client has a new id: ask again after any failure.
        blockingId ??= String(await read(['CLIENT', 'ID']));
        const reply = await read([...xread, last]);
        for (const raw of _streamEntries(reply)) {
          if (stopped) return;
          const entry = _entry(raw);
          last = entry.id;
          for (const listener of listeners) listener(entry);
        }
      } catch (error) {
        if (stopped) return;
        start = blockingId = undefined;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };

  const stop = async () => {
    stopped = true;
    // Disconnecting our own connection fails its pending XREAD at once; on
    // the caller's connection, CLIENT UNBLOCK ends the wait instead.
    if (owned) await Promise.resolve(blocking?.disconnect?.()).catch(() => {});
    else if (blockingId) await run(['CLIENT', 'UNBLOCK', blockingId]).catch(() => {});
    await follower;
  };

  return {
    async append(topics, body) {
      const args = ['EVAL', PUBLISH, '1', key, '\n' + topics.join('\n') + '\n', body];
      return String(await run([...args, ...trimArgs()]));
    },
    follow(listener) {
      listeners.add(listener);
      follower ??= follow().catch(onError);
      return () => {
        listeners.delete(listener);
      };
    },
    async read(cursor, topics): Promise<HubReplay> {
      const valid = STREAM_ID.test(cursor) ? cursor : '';
      const reply = await run(['EVAL', REPLAY, '1', key, valid, ...topics]);
      const [newest, replayable, found] = reply as [string, number, unknown[]];
      const head = newest === '' ? undefined : newest;
      return { entries: found.map(_entry), tooOld: Number(replayable) !== 1, head };
    },
    compare: _compare,
    close: stop,
  };
}

/** Orders two stream ids, `<ms>-<seq>`, as numbers. */
function _compare(a: string, b: string): number {
  const dashA = a.indexOf('-');
  const dashB = b.indexOf('-');
  return (
    Number(a.slice(0, dashA)) - Number(b.slice(0, dashB)) ||
    Number(a.slice(dashA + 1)) - Number(b.slice(dashB + 1))
  );
}

function _commander(client: RedisClientLike, name: string) {
  if (typeof client?.call === 'function') {
    return (args: string[]) => client.call!(args[0]!, ...args.slice(1));
  }
  if (typeof client?.sendCommand === 'function')
    return (args: string[]) => client.sendCommand!(args);
  throw new SSEOptionError(
    `${name} must be a Redis client: an ioredis client (with call) or a node-redis client (with sendCommand).`,
  );
}

function _trimArgs(trim: RedisTrim): () => string[] {
  if (trim === false) return () => [];
  if ('maxLen' in trim && Number.isSafeInteger(trim.maxLen) && trim.maxLen > 0) {
    const args = ['MAXLEN', '~', String(trim.maxLen)];
    return () => args;
  }
  if ('maxAge' in trim && Number.isSafeInteger(trim.maxAge) && trim.maxAge > 0) {
    return () => ['MINID', '~', `${Date.now() - trim.maxAge}-0`];
  }
  throw new SSEOptionError(
    'trim must be { maxLen: n } (MAXLEN ~ n), { maxAge: ms } (MINID ~ now - ms) or false, with a whole number above 0.',
  );
}

/** The entries of the one stream in an `XREAD` reply, RESP2 or RESP3 shaped. */
function _streamEntries(reply: unknown): unknown[] {
  if (reply == null) return [];
  if (reply instanceof Map) return ([...reply.values()][0] as unknown[]) ?? [];
  // RESP2: [[key, entries]]; RESP3 maps flattened (ioredis): [key, entries].
  if (Array.isArray(reply)) {
    return (
      ((typeof reply[0] === 'string' ? reply[1] : (reply[0] as unknown[])?.[1]) as unknown[]) ?? []
    );
  }
  return (Object.values(reply as object)[0] as unknown[]) ?? [];
}

function _entry(raw: unknown): HubEntry {
  // Fields p, t, b, in the order PUBLISH writes them.
  const [id, fields] = raw as [string, string[]];
  return hubEntry(String(id), fields[3]!.split('\n').filter(Boolean), fields[5]!);
}
