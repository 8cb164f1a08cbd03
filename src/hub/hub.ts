import { need, refuse } from '../checks.ts';
import { SSEError } from '../errors.ts';
import { encodeMessage, preEncode } from '../wire/encode.ts';
import { EncodedMessage } from '../wire/encoded.ts';
import type { EventMap, SSEMessage } from '../wire/message.ts';
import { hubSettings, topicList } from './hub-checks.ts';
import type { HubCore } from './hub-core.ts';
import type { HubCloseOptions, HubOptions, HubStats, SubscribeOptions } from './hub-options.ts';
import type { HubEntry, HubPageLimits } from './log.ts';
import { Subscription } from './subscription.ts';

/**
 * Fans messages out to subscribers by topic, with replay.
 *
 * @example
 * ```ts
 * const hub = createHub();
 * const handler = (request: Request) =>
 *   sseResponse((ctx) => hub.subscribe(['news'], ctx), { request });
 * await hub.publish('news', { event: 'headline', data: 'SSE is great' });
 * ```
 */
export interface Hub<Events extends EventMap = EventMap> {
  /**
   * Publishes a message to one or more topics: the log assigns its id, it is
   * encoded once, and every subscriber of any of the topics gets the same
   * bytes, once. Throws at once on invalid messages or after `close`;
   * resolves to the id once the log has stored it.
   */
  publish(
    topics: string | readonly string[],
    message: SSEMessage<Events> | string,
  ): Promise<string>;
  /**
   * Subscribes to topics from now on: registered at once, so nothing published
   * after this call is missed. With `lastEventId`, what came after it is
   * replayed first. Pass an `sseResponse` context as the options.
   */
  subscribe(topics: string | readonly string[], options?: SubscribeOptions): Subscription;
  /** Ends every subscription (after `event`, if given) within `grace` ms; refuses new ones. */
  close(options?: HubCloseOptions): Promise<void>;
  /** Counters and gauges for dashboards. */
  stats(): HubStats;
}

/**
 * Creates a hub: topics, fan-out of encode-once messages, replay from a log,
 * bounded subscriber queues, graceful close. See {@link HubOptions}.
 *
 * @example
 * ```ts
 * const hub = createHub();
 * export default {
 *   fetch: (request: Request) =>
 *     sseResponse((ctx) => hub.subscribe('ticker', ctx), { request }),
 * };
 * setInterval(() => hub.publish('ticker', { event: 'tick', data: Date.now() }), 1000);
 * ```
 */
export function createHub<Events extends EventMap = EventMap>(
  options: HubOptions = {},
): Hub<Events> {
  const settings = hubSettings(options);
  const { log, serialize, resetEvent } = settings;
  const byTopic = new Map<string, Set<Subscription>>();
  const all = new Set<Subscription>();
  const counts = {
    published: 0,
    delivered: 0,
    replayed: 0,
    dropped: 0,
    disconnected: 0,
    resets: 0,
  };
  let stamp = 0;
  // A page of a replay holds no more than a full queue.
  const pageLimits: HubPageLimits = {
    entries: settings.maxQueued,
    bytes: settings.maxQueuedBytes,
  };
  let closing: Promise<void> | undefined;
  let emptied: (() => void) | undefined;

  // Connection age: one timer for the whole hub, running while it has
  // subscribers. A sweep compares one number per subscriber, less work than
  // fanning out one message, so it beats a timer (or a heap) per subscriber.
  const { maxConnectionAge: maxAge, maxConnectionAgeJitter: jitter } = settings;
  let sweeper: ReturnType<typeof setInterval> | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const subscription of all) if (subscription.deadline <= now) subscription.drain();
  };

  const core: HubCore<Subscription> = {
    compare: (a, b) => log.compare(a, b),
    maxQueued: settings.maxQueued,
    maxQueuedBytes: settings.maxQueuedBytes,
    overflow: settings.overflow,
    counts,
    detach(subscription) {
      for (const topic of subscription.topics) {
        const set = byTopic.get(topic);
        if (set?.delete(subscription) && set.size === 0) byTopic.delete(topic);
      }
    },
    done(subscription) {
      all.delete(subscription);
      if (all.size > 0) return;
      clearInterval(sweeper);
      sweeper = undefined;
      emptied?.();
    },
    reset(subscription, lastEventId, head) {
      counts.resets++;
      try {
        options.onReset?.({ lastEventId, topics: subscription.topics });
      } catch (error) {
        settings.onError(error);
      }
      // Its id moves the client's cursor to the head: the next reconnect resumes from there.
      return { id: '', topics: [], message: preEncode({ event: resetEvent, id: head ?? '' }) };
    },
    fail: settings.onError,
  };

  const stopFollowing = log.follow((entry: HubEntry) => {
    const current = ++stamp;
    for (const topic of entry.topics) {
      const set = byTopic.get(topic);
      if (!set) continue;
      for (const subscription of set) {
        if (subscription.stamp === current) continue;
        subscription.stamp = current;
        subscription.offer(entry);
      }
    }
  });

  return {
    publish(topics, message) {
      if (closing) {
        throw new HubClosedError(
          'publish(): expected an open hub, got a closed one. Publish before close().',
        );
      }
      const list = topicList(topics, settings.bounds);
      const id = (message as { id?: unknown } | null)?.id;
      need(id === undefined, 'publish(): id', 'none', id, "Remove it: the hub's log assigns ids.");
      if (message instanceof EncodedMessage) {
        refuse(
          'publish(): message',
          'the message itself',
          'a preEncode() result',
          'Pass the message: the hub encodes it with its id.',
        );
      }
      const body = encodeMessage(message, { serialize });
      counts.published++;
      return Promise.resolve(log.append(list, body));
    },

    subscribe(topics, subscribeOptions = {}) {
      const list = topicList(topics, settings.bounds);
      const { lastEventId } = subscribeOptions;
      // Its signal and close are read later, and only if `sseResponse` does
      // not connect it (see Subscription): a context's are made on first read.
      const subscription = new Subscription(core, list, subscribeOptions);
      if (closing) {
        subscription.end();
        return subscription;
      }
      all.add(subscription);
      for (const topic of list) {
        let subscribers = byTopic.get(topic);
        if (!subscribers) byTopic.set(topic, (subscribers = new Set()));
        subscribers.add(subscription);
      }
      if (maxAge !== undefined) {
        // The jitter spreads out connections opened together (after a deploy).
        subscription.deadline = Date.now() + maxAge * (1 - jitter * Math.random());
        if (!sweeper) {
          sweeper = setInterval(sweep, Math.min(1000, maxAge / 20));
          // Never the only thing that keeps a process alive (Node, Bun, Deno).
          (sweeper as { unref?: () => void }).unref?.();
        }
      }
      // Registered first, read second: whatever the read misses arrives live.
      if (lastEventId !== undefined && lastEventId !== '') {
        const wanted = new Set(list);
        subscription.start(lastEventId, (cursor) => log.read(cursor, wanted, pageLimits));
      }
      return subscription;
    },

    close({ grace = 1000, event } = {}) {
      if (closing) return closing;
      need(
        typeof grace === 'number' && grace >= 0,
        'close(): grace',
        'a number of milliseconds, 0 or more',
        grace,
      );
      const last =
        event === undefined
          ? undefined
          : { id: '', topics: [], message: preEncode(event, { serialize }) };
      stopFollowing();
      let timer: ReturnType<typeof setTimeout> | undefined;
      closing = new Promise<void>((resolve) => {
        emptied = resolve;
        for (const subscription of [...all]) subscription.drain(last);
        if (all.size === 0) resolve();
        else
          timer = setTimeout(() => {
            for (const subscription of [...all]) subscription.end();
          }, grace);
      }).then(() => {
        clearTimeout(timer);
        emptied = undefined;
        return log.close?.();
      });
      return closing;
    },

    stats() {
      const topics: Record<string, number> = {};
      for (const [topic, set] of byTopic) topics[topic] = set.size;
      return { subscribers: all.size, topics, ...counts };
    },
  };
}

/**
 * Thrown by `publish` after `hub.close()`.
 *
 * @example
 * ```ts
 * await hub.close();
 * hub.publish('news', 'late'); // throws HubClosedError
 * ```
 */
export class HubClosedError extends SSEError {
  override name = 'HubClosedError';
}
