import type { Serialize, SSEItem } from '../types.ts';
import { _isCount, _need } from './errors.ts';
import type { HubLog } from './log.ts';
import { createMemoryLog } from './memory-log.ts';

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

/** @internal The topics, validated, each once. */
export function _topics(topics: string | readonly string[]): string[] {
  const list = typeof topics === 'string' ? [topics] : topics;
  _need(
    Array.isArray(list) && list.length > 0,
    'Topics must be a string or a non-empty array of strings',
    topics,
  );
  for (const topic of list) {
    _need(
      typeof topic === 'string' && /^[^\r\n\0]+$/.test(topic),
      "A topic must be a non-empty string without CR, LF or NUL, such as 'user:42'",
      topic,
    );
  }
  return list.length === 1 ? [list[0]!] : [...new Set(list)];
}

export function _validate(options: HubOptions) {
  _need(
    typeof options === 'object' && options !== null,
    'The hub options must be an object',
    options,
  );
  const {
    log = createMemoryLog(),
    maxQueued = 1000,
    maxQueuedBytes = 1024 * 1024,
    overflow = 'disconnect',
    resetEvent = 'reset',
    maxConnectionAge,
    maxConnectionAgeJitter = 0.2,
    serialize,
    onError = (error: unknown) => console.error('ssekit/hub:', error),
  } = options;
  _need(
    typeof log?.append === 'function' &&
      typeof log.read === 'function' &&
      typeof log.follow === 'function' &&
      typeof log.compare === 'function',
    'log must be a HubLog (append, follow, read, compare): use createMemoryLog() or ssekit/redis',
    log,
  );
  _need(_isCount(maxQueued), 'maxQueued must be a whole number above 0', maxQueued);
  _need(_isCount(maxQueuedBytes), 'maxQueuedBytes must be a whole number above 0', maxQueuedBytes);
  _need(
    typeof overflow === 'function' ||
      ['disconnect', 'drop-oldest', 'drop-newest'].includes(overflow),
    "overflow must be 'disconnect', 'drop-oldest', 'drop-newest' or a function",
    overflow,
  );
  _need(
    typeof resetEvent === 'string' && /^[^\r\n]+$/.test(resetEvent),
    'resetEvent must be an event name without CR or LF',
    resetEvent,
  );
  _need(
    maxConnectionAge === undefined ||
      (typeof maxConnectionAge === 'number' && maxConnectionAge > 0 && maxConnectionAge < 2 ** 31),
    'maxConnectionAge must be a number of milliseconds above 0',
    maxConnectionAge,
  );
  _need(
    typeof maxConnectionAgeJitter === 'number' &&
      maxConnectionAgeJitter >= 0 &&
      maxConnectionAgeJitter <= 1,
    'maxConnectionAgeJitter must be a fraction from 0 to 1',
    maxConnectionAgeJitter,
  );
  for (const name of ['serialize', 'onReset', 'onError'] as const) {
    const value = options[name];
    _need(value === undefined || typeof value === 'function', `${name} must be a function`, value);
  }
  return {
    log,
    maxQueued,
    maxQueuedBytes,
    overflow,
    resetEvent,
    maxConnectionAge,
    maxConnectionAgeJitter,
    serialize,
    onError,
  };
}
