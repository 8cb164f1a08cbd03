import type { Serialize, SSEItem } from '../wire/message.ts';
import type { HubLog } from './log.ts';

// The hub's public option and result types: what `createHub`, `subscribe`
// and `close` take, and what `stats()` and the callbacks are told. Checked,
// with their defaults, in hub-checks.ts.

/**
 * What a subscriber's queue does when a message would exceed its bounds:
 * end the subscription (the client resumes from its last id), drop the
 * oldest waiting messages, or drop the new one.
 *
 * @example
 * ```ts
 * const action: HubOverflowAction = 'drop-oldest';
 * ```
 */
export type HubOverflowAction = 'disconnect' | 'drop-oldest' | 'drop-newest';

/**
 * What an overflow callback is told.
 *
 * @example
 * ```ts
 * const overflow = ({ topics, queued }: HubOverflowInfo) =>
 *   topics.includes('prices') ? 'drop-oldest' : 'disconnect';
 * ```
 */
export interface HubOverflowInfo {
  /** The subscriber's topics. */
  topics: readonly string[];
  /** Messages waiting for this subscriber. */
  queued: number;
  /** Their bytes. */
  queuedBytes: number;
  /** Bytes of the message that does not fit. */
  size: number;
}

/**
 * The overflow policy: an action, or a function that picks one for each
 * overflow (returning nothing drops the new message).
 *
 * @example
 * ```ts
 * createHub({ overflow: (info) => (info.queuedBytes > 65_536 ? 'disconnect' : 'drop-oldest') });
 * ```
 */
export type HubOverflowPolicy =
  | HubOverflowAction
  | ((info: HubOverflowInfo) => HubOverflowAction | undefined | void);

/**
 * Options of {@link createHub}.
 *
 * @example
 * ```ts
 * const hub = createHub({
 *   log: createMemoryLog({ maxEntries: 10_000 }), // replay window
 *   maxQueued: 1000, maxQueuedBytes: 1 << 20,      // per subscriber
 *   overflow: 'disconnect',                         // the client resumes with Last-Event-ID
 *   maxConnectionAge: 30 * 60_000,                  // re-balance every ~30 min
 *   onReset: ({ topics }) => metrics.increment('sse.reset'),
 * });
 * ```
 */
export interface HubOptions {
  /** Where history is kept and new messages come from. Default `createMemoryLog()`. */
  log?: HubLog;
  /** Messages a subscriber may have waiting before the overflow policy applies. Default 1000. */
  maxQueued?: number;
  /** Bytes a subscriber may have waiting before the overflow policy applies. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** What a full queue does. Default `'disconnect'`: the subscription ends and the client resumes from its last id. */
  overflow?: HubOverflowPolicy;
  /** The event sent when a `Last-Event-ID` cannot be replayed. Default `'reset'`. */
  resetEvent?: string;
  /** Told when a subscriber's `Last-Event-ID` cannot be replayed (and it gets `resetEvent`). */
  onReset?: (info: HubResetInfo) => void;
  /** Milliseconds after which a subscription ends, so clients reconnect elsewhere. Default: never. */
  maxConnectionAge?: number;
  /** Up to this fraction of `maxConnectionAge` is taken off at random for each subscription. Default 0.2. */
  maxConnectionAgeJitter?: number;
  /**
   * Topics one `subscribe` or `publish` takes, at most: more throw an
   * `SSEOptionError` (a 400 through `SSEHub.fetch`). Default 100.
   */
  maxTopics?: number;
  /** Characters of one topic, at most, on `subscribe` and `publish`. Default 256. */
  maxTopicLength?: number;
  /** Turns non-string `data` into text. Default `JSON.stringify`. */
  serialize?: Serialize;
  /** Told when the log fails to replay; the subscription then ends and the client retries. Default `console.error`. */
  onError?: (error: unknown) => void;
}

/**
 * What `onReset` is told.
 *
 * @example
 * ```ts
 * createHub({ onReset: ({ lastEventId, topics }) => log.warn('replay gap', lastEventId, topics) });
 * ```
 */
export interface HubResetInfo {
  /** The `Last-Event-ID` that could not be replayed. */
  lastEventId: string;
  /** The subscriber's topics. */
  topics: readonly string[];
}

/**
 * Options of `hub.subscribe`; an `sseResponse` context is one.
 *
 * @example
 * ```ts
 * hub.subscribe('news', { lastEventId: request.headers.get('last-event-id') ?? undefined, signal });
 * sseResponse((ctx) => hub.subscribe('news', ctx), { request }); // the same, wired by the context
 * ```
 */
export interface SubscribeOptions {
  /** Replay what came after this id first. Invalid or unknown ids get the reset event. */
  lastEventId?: string | undefined;
  /** Ends the subscription when it aborts. */
  signal?: AbortSignal;
  /** Called to close the stream when the hub ends the subscription early (overflow, close). */
  close?: () => void;
}

/**
 * Options of `hub.close`.
 *
 * @example
 * ```ts
 * await hub.close({ grace: 5_000, event: { event: 'bye', retry: 10_000 } });
 * ```
 */
export interface HubCloseOptions {
  /** Milliseconds subscribers get to receive what is queued before they are cut off. Default 1000. */
  grace?: number;
  /** A last message for every subscriber (say, `{ event: 'bye', retry: 5000 }`); it carries no id. */
  event?: SSEItem<any>;
}

/**
 * Counters for dashboards, since the hub was created.
 *
 * @example
 * ```ts
 * const { subscribers, topics, delivered, disconnected } = hub.stats();
 * ```
 */
export interface HubStats {
  /** Open subscriptions. */
  subscribers: number;
  /** Open subscriptions per topic. */
  topics: Record<string, number>;
  /** Calls of `publish`. */
  published: number;
  /** Messages handed to subscribers, replayed ones included. */
  delivered: number;
  /** Of those, messages replayed from the log. */
  replayed: number;
  /** Messages a full queue dropped (`'drop-oldest'`, `'drop-newest'`). */
  dropped: number;
  /** Subscriptions ended because their queue was full. */
  disconnected: number;
  /** Subscribers told their `Last-Event-ID` could not be replayed. */
  resets: number;
}
