/**
 * Resumable streams on Redis: the `StreamStore` of `ssekit/resumable` on
 * keys of their own per stream, each operation one Lua script.
 *
 * @module
 */
import { isObject, need, needCount, needFunction } from '../../../src/checks.ts';
import { newEpoch } from '../../../src/hub/index.ts';
import type {
  AppendResult,
  StreamEnd,
  StreamPage,
  StreamState,
  StreamStore,
  StreamTerms,
} from '../../../src/resumable/index.ts';
import { needStreamId } from '../../../src/resumable/stream-id.ts';
import { commander, type RedisClientLike } from './redis-client.ts';
import { APPEND, CLAIM, END, READ, RENEW, STATUS } from './redis-stream-scripts.ts';
import { createNotices } from './redis-subscriber.ts';

/**
 * Options of {@link createRedisStreamStore}.
 *
 * @example
 * ```ts
 * createRedisStreamStore({ client, prefix: 'chat:answers:' });
 * ```
 */
export interface RedisStreamStoreOptions {
  /** A connected client for the scripts: node-redis, ioredis, or an ioredis `Cluster`. */
  client: RedisClientLike;
  /** A connection for pub/sub notices. Default: `client.duplicate()`, connected and closed by the store. */
  subscriber?: RedisClientLike;
  /** The start of every key and channel of the store. Default `'ssekit:stream:'`. */
  prefix?: string;
  /**
   * Told when the pub/sub connection fails or drops (it comes back, backing
   * off; readers poll meanwhile) and of the clients' `'error'` events when
   * nothing else listens to them. Default `console.error`.
   */
  onError?: (error: unknown) => void;
}

// An id a stream of this store writes: its epoch, then the entry's number.
const CURSOR = /^([0-9a-z]{14})-(0|[1-9]\d{0,15})$/;

/**
 * A `StreamStore` for `createResumableStreams` on Redis, shared by every
 * instance that uses the same Redis and `prefix`. Each stream has keys of
 * its own, one hash tag for all (`<prefix>{<id>}` a list of its bodies,
 * `<prefix>{<id>}:m` its token, epoch, counts, lease and end), so it works
 * on Redis Cluster; every operation is one Lua script, atomic; each key
 * expires `retention` after the end (and while active, `max(retention,
 * lease)` after each write), so nothing is kept for ever. The lease runs on
 * Redis's clock. Notices go by pub/sub on `<prefix>{<id>}:w`, one
 * subscription per watched stream on one connection per store.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createResumableStreams } from 'ssekit/resumable';
 * import { createRedisStreamStore } from 'ssekit/redis';
 *
 * const client = new Redis(process.env.REDIS_URL!).on('error', console.error);
 * const streams = createResumableStreams({ store: createRedisStreamStore({ client }) });
 * ```
 */
export function createRedisStreamStore(options: RedisStreamStoreOptions): StreamStore {
  need(isObject(options), 'createRedisStreamStore(options)', 'an object', options);
  const { client, subscriber, prefix = 'ssekit:stream:' } = options;
  const onError = options.onError ?? ((error) => console.error('ssekit/redis:', error));
  needFunction('onError', onError);
  const run = commander(client, 'client');
  need(
    typeof prefix === 'string' && !/[{}]/.test(prefix),
    'prefix',
    'a string without { or }',
    prefix,
    "Each stream's keys carry a hash tag of its id: use a prefix such as 'app:stream:'.",
  );
  if (subscriber === undefined) {
    need(
      typeof client.duplicate === 'function',
      'client',
      'a client with duplicate()',
      client,
      'Pass subscriber, a second connection for pub/sub.',
    );
  } else commander(subscriber, 'subscriber');
  const notices = createNotices(client, subscriber, onError);
  // node-redis ends the process on an 'error' event nobody listens to: while
  // the store uses the client, it listens too, and reports what no one else hears.
  const guard = (error: unknown) => {
    if ((client.listenerCount?.('error') ?? 1) <= 1) onError(error);
  };
  client.on?.('error', guard);

  const base = (id: string) => `${prefix}{${id}}`;
  // Scripts go by their SHA-1 (EVALSHA), loaded once: sending a script's
  // text with every chunk cost a socket write and a hash of it on the server
  // per call. A server that does not have it (restarted, flushed, another
  // Cluster node) answers NOSCRIPT, and the text goes once more (EVAL loads it).
  const shas = new Map<string, Promise<string>>();
  const script = async (lua: string, id: string, args: (string | number)[]) => {
    const key = base(id);
    const rest = ['2', key, key + ':m', ...args.map(String)];
    let sha = shas.get(lua);
    if (!sha) {
      sha = Promise.resolve(run(['SCRIPT', 'LOAD', lua])).then(String);
      shas.set(lua, sha);
      sha.catch(() => shas.delete(lua));
    }
    try {
      return await run(['EVALSHA', await sha, ...rest]);
    } catch (error) {
      if (!/NOSCRIPT/.test(String((error as Error)?.message ?? error))) throw error;
      return run(['EVAL', lua, ...rest]);
    }
  };
  const numbers = (terms: StreamTerms) => [Math.ceil(terms.lease), Math.ceil(terms.retention)];

  return {
    async claim(id, terms) {
      needStreamId('claim(id)', id);
      const token = newEpoch() + newEpoch();
      const won = await script(CLAIM, id, [token, newEpoch(), ...numbers(terms)]);
      return Number(won) === 1 ? token : undefined;
    },
    async append(id, token, at, bodies, terms): Promise<AppendResult> {
      needStreamId('append(id)', id);
      need(
        Number.isSafeInteger(at) && at >= 0,
        'append(at)',
        'the count of bodies appended before',
        at,
        'Pass how many bodies earlier appends stored.',
      );
      const [lease, retention] = numbers(terms);
      const args = [token, at, terms.maxBytes, lease!, retention!, ...bodies];
      const reply = (await script(APPEND, id, args)) as unknown[];
      const kind = Number(reply[0]);
      if (kind === 0) return { ok: false, end: endOf(reply[1], reply[2]) };
      need(
        kind === 1,
        'append(at)',
        `the count of bodies appended before, at most ${reply[1]}`,
        at,
        'Pass how many bodies earlier appends stored.',
      );
      const epoch = String(reply[1]);
      return { ok: true, ids: bodies.map((_, n) => `${epoch}-${at + n + 1}`) };
    },
    async renew(id, token, terms) {
      needStreamId('renew(id)', id);
      return Number(await script(RENEW, id, [token, ...numbers(terms)])) === 1;
    },
    async end(id, token, end, terms) {
      needStreamId('end(id)', id);
      const who = token === undefined ? ['0', ''] : ['1', token];
      const args = [...who, end.state, end.reason ?? '', Math.ceil(terms.retention)];
      return Number(await script(END, id, args)) === 1;
    },
    async read(id, cursor, limit): Promise<StreamPage> {
      needStreamId('read(id)', id);
      needCount('read(limit)', limit);
      const at = cursor === undefined ? undefined : CURSOR.exec(cursor);
      const where = cursor === undefined ? ['', '0'] : at ? [at[1]!, at[2]!] : ['!', '0'];
      const reply = (await script(READ, id, [...where, limit])) as unknown[];
      const state = String(reply[0]) as StreamState;
      if (state === 'unknown') return { state, entries: [] };
      const epoch = String(reply[2]);
      const from = Number(reply[3]);
      const entries = reply.slice(5).map((body, n) => ({
        id: `${epoch}-${from + n + 1}`,
        body: String(body),
      }));
      return { state, entries, end: Number(reply[4]) === 1 ? endOf(state, reply[1]) : undefined };
    },
    async status(id) {
      needStreamId('status(id)', id);
      return String(await script(STATUS, id, [])) as StreamState;
    },
    watch(id, listener) {
      needStreamId('watch(id)', id);
      return notices.watch(base(id) + ':w', listener);
    },
    async close() {
      client.off?.('error', guard);
      await notices.close();
    },
  };
}

// The end as the scripts give it: a state and a reason ('' for none).
function endOf(state: unknown, reason: unknown): StreamEnd {
  return reason
    ? { state: String(state) as StreamEnd['state'], reason: String(reason) as StreamEnd['reason'] }
    : { state: String(state) as StreamEnd['state'] };
}
