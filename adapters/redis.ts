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
import { SSEError, SSEOptionError } from '../src/errors.ts';
import type { HubEntry, HubLog, HubPage } from '../src/hub/index.ts';
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
  off?(event: 'error', listener: (error: unknown) => void): unknown;
  listenerCount?(event: 'error'): number;
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
  /**
   * Told when the follower's read fails (it retries, backing off from half a
   * second to 10 s), of entries it skips ({@link RedisForeignEntryError}),
   * and of the clients' `'error'` events when nothing else listens to them.
   * Default `console.error`.
   */
  onError?: (error: unknown) => void;
}

/**
 * Told to `onError` when the stream holds an entry this log did not write
 * (an `XADD` by another program on the same key): the entry is skipped, and
 * following goes on.
 *
 * @example
 * ```ts
 * createRedisLog({
 *   client,
 *   onError: (error) => {
 *     if (error instanceof RedisForeignEntryError) metrics.increment('sse.foreign_entry');
 *     else console.error(error);
 *   },
 * });
 * ```
 */
export class RedisForeignEntryError extends SSEError {
  override name = 'RedisForeignEntryError';
  /** The entry's stream id. */
  readonly id: string;

  /** @internal */
  constructor(key: string, id: string, fields: unknown) {
    const names = Array.isArray(fields)
      ? fields
          .filter((_, index) => index % 2 === 0)
          .slice(0, 8)
          .map(String)
          .join(', ')
      : typeof fields;
    super(
      `Stream '${key}': entry ${id} was not written by ssekit/redis (fields: ${names}), so it was skipped. ` +
        'Add to this stream only through hub.publish(), or give the hub a key of its own.',
    );
    this.id = id;
  }
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
// KEYS[1] the stream; ARGV: the cursor ('' if not a stream id), the page's
// entry and byte bounds, the entries it may look at, the topics. Returns
// { newest id or '', 1 if replayable else 0, matching entries, the id to
// read on from or '' when the page reached the newest entry }. Nothing after
// the cursor was trimmed when it is still there, or when the entry after it
// names it as its predecessor (field p).
const REPLAY = `
local function ours(f) return #f == 6 and f[1] == 'p' and f[3] == 't' and f[5] == 'b' end
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if not newest or ARGV[1] == '' then return {newest and newest[1] or '', 0, {}, ''} end
newest = newest[1]
local cursor = ARGV[1]
local after = redis.call('XRANGE', KEYS[1], '(' .. cursor, '+', 'COUNT', 1)[1]
local replayable
if not after then replayable = cursor == newest
else
  replayable = (ours(after[2]) and after[2][2] == cursor)
    or #redis.call('XRANGE', KEYS[1], cursor, cursor) == 1
end
if not replayable then return {newest, 0, {}, ''} end
local maxEntries, maxBytes, budget = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local found, size, seen, from = {}, 0, 0, '(' .. cursor
while true do
  local count = math.min(100, budget - seen)
  local page = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', count)
  for _, entry in ipairs(page) do
    seen = seen + 1
    local f = entry[2]
    if ours(f) then
      for j = 5, #ARGV do
        if string.find(f[4], '\\n' .. ARGV[j] .. '\\n', 1, true) then
          found[#found + 1] = entry
          size = size + #f[6]
          break
        end
      end
    end
    if #found >= maxEntries or size >= maxBytes or seen >= budget then
      return {newest, 1, found, entry[1] == newest and '' or entry[1]}
    end
  end
  if #page < count then return {newest, 1, found, ''} end
  from = '(' .. page[#page][1]
end
`;
// Entries one replay call looks at, at most: about 1000 x 4 KiB keep Redis
// busy for a few milliseconds.
const REPLAY_SCAN = '1000';
// Stream ids as Redis writes them, each part at most 2^64 - 1.
const STREAM_ID = /^(?:0|[1-9]\d{0,19})-(?:0|[1-9]\d{0,19})$/;
const MAX_PART = 2n ** 64n - 1n;

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
  let wake: (() => void) | undefined;
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
      guard(blocking, true);
    }
    const read = _commander(blocking, 'blockingClient');
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
        for (const raw of _streamEntries(reply)) {
          if (stopped) return;
          const entry = _entry(raw);
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
        const delay = Math.min(10_000, 500 * 2 ** failures++);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  };

  const stop = async () => {
    stopped = true;
    // Disconnecting our own connection fails its pending XREAD at once; on
    // the caller's connection, CLIENT UNBLOCK ends the wait instead.
    if (owned) await Promise.resolve(blocking?.disconnect?.()).catch(() => {});
    else if (blockingId) await run(['CLIENT', 'UNBLOCK', blockingId]).catch(() => {});
    wake?.();
    await follower;
    for (const [target, listener] of guarded.splice(0)) target.off?.('error', listener);
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
    async read(cursor, topics, limits): Promise<HubPage> {
      const { entries: most, bytes } = limits;
      const args = [valid(cursor), String(most), String(bytes), REPLAY_SCAN, ...topics];
      const reply = await run(['EVAL', REPLAY, '1', key, ...args]);
      const [newest, replayable, found, next] = reply as [string, number, unknown[], string];
      const entries: HubEntry[] = [];
      for (const raw of found) {
        const entry = _entry(raw);
        if (entry) entries.push(entry);
      }
      return {
        entries,
        tooOld: Number(replayable) !== 1,
        head: newest === '' ? undefined : newest,
        next: next === '' ? undefined : next,
      };
    },
    compare: _compare,
    close: stop,
  };
}

/**
 * The cursor for the replay script, or '' when it is not a stream id Redis
 * can read after: a part above 2^64 - 1 makes Redis raise an error, and so
 * does the largest id of all.
 */
function valid(cursor: string): string {
  if (!STREAM_ID.test(cursor)) return '';
  const [ms, seq] = cursor.split('-').map(BigInt) as [bigint, bigint];
  return ms <= MAX_PART && seq <= MAX_PART && !(ms === MAX_PART && seq === MAX_PART) ? cursor : '';
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

/** An entry PUBLISH wrote (fields p, t, b, in that order), or undefined for any other. */
function _entry(raw: unknown): HubEntry | undefined {
  const [id, fields] = raw as [unknown, unknown];
  if (
    !Array.isArray(fields) ||
    fields.length !== 6 ||
    fields[0] !== 'p' ||
    fields[2] !== 't' ||
    fields[4] !== 'b' ||
    typeof fields[3] !== 'string' ||
    typeof fields[5] !== 'string'
  ) {
    return undefined;
  }
  try {
    return hubEntry(String(id), fields[3].split('\n').filter(Boolean), fields[5]);
  } catch {
    return undefined; // a body PUBLISH never wrote: not one well-formed message
  }
}
