/**
 * The notices of the Redis stream store: one pub/sub connection per store,
 * one channel per stream, subscribed while someone watches it. Duck-typed:
 * node-redis (`subscribe(channels, listener)`) and ioredis, its `Cluster`
 * too (`subscribe(...channels)` and the `'message'` event).
 *
 * @module
 */
import { SSEError } from '../../../src/errors.ts';
import type { StreamEntry, StreamWatcher as Watcher } from '../../../src/resumable/index.ts';
import { sleep } from '../../../src/signal.ts';
import type { RedisClientLike } from './redis-client.ts';

type Listener = (...args: any[]) => void;

// The parts of either client the notices use.
interface SubscriberLike extends RedisClientLike {
  subscribe(...args: unknown[]): Promise<unknown>;
  unsubscribe(...args: unknown[]): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  off?(event: string, listener: Listener): unknown;
  removeListener?(event: string, listener: Listener): unknown;
}

/**
 * Told to `onError` when the store's pub/sub connection dropped: notices are
 * missed until it is back (the connection reconnects, backing off), and
 * readers read on their own every `poll` meanwhile, so nothing is lost.
 *
 * @example
 * ```ts
 * createRedisStreamStore({
 *   client,
 *   onError: (error) => {
 *     if (error instanceof RedisSubscriberLostError) metrics.increment('sse.pubsub_drop');
 *   },
 * });
 * ```
 */
export class RedisSubscriberLostError extends SSEError {
  override name = 'RedisSubscriberLostError';

  /** @internal */
  constructor() {
    super(
      "ssekit/redis: the stream store's pub/sub connection dropped; it reconnects, and readers poll meanwhile. Check that Redis is up and reachable if this repeats.",
    );
  }
}

/** @internal What the store asks of its notices. */
export interface Notices {
  watch(channel: string, listener: Watcher): () => void;
  close(): Promise<void>;
}

/**
 * @internal Notices on `given` (or a duplicate of `client`, connected and
 * closed here). Subscribes a channel when its first listener comes and
 * unsubscribes it when its last goes, in batches; a failed (un)subscribe is
 * retried, backing off from half a second to 10 s. Each time the connection
 * is ready again after a drop, every listener is called once: what changed
 * meanwhile was not heard.
 */
export function createNotices(
  client: RedisClientLike,
  given: RedisClientLike | undefined,
  onError: (error: unknown) => void,
): Notices {
  const channels = new Map<string, Set<Watcher>>();
  const subscribed = new Set<string>();
  const stopping = new AbortController();
  let connection: SubscriberLike | undefined;
  let owned = false;
  let nodeRedis = false;
  let syncing: Promise<void> | undefined;
  let ready = false;
  const events: [string, Listener][] = [];

  // What a notice says changed: the scripts publish 'a' (an append), 'b' and
  // the entries appended (a small append), or 'e' (the end); a resync after a
  // drop says nothing (anything may have).
  const call = (channel: string, message?: unknown) => {
    let change: 'entries' | 'end' | undefined;
    let entries: StreamEntry[] | undefined;
    if (message === 'a') change = 'entries';
    else if (message === 'e') change = 'end';
    else if (typeof message === 'string' && message[0] === 'b') {
      change = 'entries';
      entries = entriesOf(message);
    }
    for (const listener of channels.get(channel) ?? []) listener(change, entries);
  };
  // node-redis: (message, channel); ioredis: (channel, message).
  const onMessage: Listener = (first, second) =>
    nodeRedis ? call(second as string, first) : call(first as string, second);

  const open = (): SubscriberLike => {
    if (connection) return connection;
    owned = given === undefined;
    connection = (given ?? client.duplicate!()) as SubscriberLike;
    nodeRedis = typeof connection.call !== 'function';
    const listen = (event: string, listener: Listener) => {
      connection!.on(event, listener);
      events.push([event, listener]);
    };
    // The connection's own errors: ours to report (node-redis ends the
    // process on an 'error' event nobody hears).
    listen('error', (error: unknown) => {
      if (owned || (connection!.listenerCount?.('error') ?? 1) <= 1) onError(error);
    });
    listen('ready', () => {
      if (ready) return;
      ready = true;
      // Back after a drop: the client resubscribes by itself; we ask again
      // (a subscribe twice does nothing), and tell every listener once it is
      // done, as for a new subscription.
      if (subscribed.size > 0) {
        subscribed.clear();
        sync();
      }
    });
    // ioredis: 'close' on a drop (node-redis emits 'error' then); both
    // 'reconnecting' while away; ioredis 'end' when it stops reconnecting:
    // then we connect again ourselves.
    listen('close', () => {
      if (ready && !stopping.signal.aborted) onError(new RedisSubscriberLostError());
      ready = false;
    });
    listen('reconnecting', () => {
      ready = false;
    });
    listen('end', () => {
      ready = false;
      if (!stopping.signal.aborted && channels.size > 0) {
        subscribed.clear();
        sync();
      }
    });
    if (!nodeRedis) listen('message', onMessage);
    return connection;
  };

  // Brings the connection's subscriptions to the channels watched, in
  // batches, until they agree; one run at a time.
  const run = async () => {
    for (let failures = 0; !stopping.signal.aborted && differs(); ) {
      const add = [...channels.keys()].filter((channel) => !subscribed.has(channel));
      const drop = [...subscribed].filter((channel) => !channels.has(channel));
      try {
        const target = open();
        const status = target.status;
        if (target.isOpen === false || status === 'wait' || status === 'end') {
          await target.connect?.();
        }
        if (add.length > 0) {
          await (nodeRedis ? target.subscribe(add, onMessage) : target.subscribe(...add));
          for (const channel of add) subscribed.add(channel);
          ready = true;
          // What changed before the subscription was in place was not
          // heard: its listeners read once more.
          for (const channel of add) call(channel);
        }
        if (drop.length > 0) {
          await (nodeRedis ? target.unsubscribe(drop, onMessage) : target.unsubscribe(...drop));
          for (const channel of drop) subscribed.delete(channel);
        }
        failures = 0;
      } catch (error) {
        if (stopping.signal.aborted) return;
        onError(error);
        await sleep(Math.min(10_000, 500 * 2 ** failures++), stopping.signal);
      }
    }
  };
  const differs = () =>
    [...channels.keys()].some((channel) => !subscribed.has(channel)) ||
    [...subscribed].some((channel) => !channels.has(channel));
  const sync = () => {
    syncing ??= run().finally(() => {
      syncing = undefined;
      // A watch that came as the run ended: one more.
      if (!stopping.signal.aborted && differs()) sync();
    });
  };

  return {
    watch(channel, listener) {
      // A listener of its own: one function watching twice is two watches.
      const own: Watcher = (change, entries) => listener(change, entries);
      let set = channels.get(channel);
      if (!set) channels.set(channel, (set = new Set()));
      set.add(own);
      if (!subscribed.has(channel)) sync();
      return () => {
        if (!set.delete(own) || set.size > 0) return;
        channels.delete(channel);
        if (subscribed.has(channel)) sync();
      };
    },
    async close() {
      stopping.abort();
      channels.clear();
      const target = connection;
      // Our own connection first: that fails a connect or subscribe under way.
      if (target && owned) await (async () => target.disconnect?.())().catch(() => {});
      await syncing;
      if (!target) return;
      if (!owned && subscribed.size > 0) {
        const drop = [...subscribed];
        await (nodeRedis ? target.unsubscribe(drop, onMessage) : target.unsubscribe(...drop)).catch(
          () => {},
        );
      }
      for (const [event, listener] of events.splice(0)) {
        (target.off ?? target.removeListener)?.call(target, event, listener);
      }
    },
  };
}

// The entries a 'b' notice carries, or undefined when it cannot be read
// (then the reader reads them from the stream, as for an 'a').
function entriesOf(message: string): StreamEntry[] | undefined {
  try {
    const [epoch, first, bodies] = JSON.parse(message.slice(1)) as [string, number, string[]];
    if (typeof epoch !== 'string' || !Number.isSafeInteger(first) || !Array.isArray(bodies)) {
      return undefined;
    }
    return bodies.map((body, n) => ({ id: `${epoch}-${first + n}`, body: String(body) }));
  } catch {
    return undefined;
  }
}
