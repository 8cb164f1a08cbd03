/**
 * The hub of a Durable Object, for a class of your own to delegate to (or
 * `SSEHub` in `index.ts` as it is): the hub on the object's SQLite
 * log, its subscribers' event streams, and the object's RPC surface.
 *
 * @module
 */
import { createHub, type Hub } from '../../../src/hub/hub.ts';
import { topicBounds, topicList } from '../../../src/hub/hub-checks.ts';
import type { HubCloseOptions, HubOptions, HubStats } from '../../../src/hub/hub-options.ts';
import type { HubLog } from '../../../src/hub/index.ts';
import type { SSEContext } from '../../../src/server/context.ts';
import { validLastEventId } from '../../../src/server/last-event-id.ts';
import { sseResponse } from '../../../src/server/response.ts';
import type { CloseInfo } from '../../../src/server/response-options.ts';
import type { SSEItem, SSEMessage } from '../../../src/wire/message.ts';
import { createDurableLog, type DurableLogOptions, type DurableLogStats } from './durable-log.ts';
import type { DurableObjectStateLike } from './durable-storage.ts';

/**
 * Options of a hub in a Durable Object: those of `createHub` (but `log`),
 * the durable log's bounds, and the streams' options.
 *
 * @example
 * ```ts
 * createDurableHub(ctx, {
 *   log: { maxEntries: 10_000, maxAge: 24 * 60 * 60_000 },
 *   heartbeat: 15_000,             // also how soon a client that left is noticed
 *   maxConnectionAge: 30 * 60_000, // clients come back and spread over new objects
 * });
 * ```
 */
export interface DurableHubOptions extends Omit<HubOptions, 'log'> {
  /** Bounds of the SQLite log (as `createMemoryLog`'s) and its table. */
  log?: DurableLogOptions;
  /**
   * Milliseconds of silence before a `:` comment. Inside an object a client
   * that left is noticed only at a write, so this also bounds how long one
   * is held (up to two heartbeats). Default 15000; `false` for none.
   */
  heartbeat?: number | false;
  /** A `retry` field each stream sends first, in milliseconds. */
  retry?: number;
  /** Extra headers of every event stream. */
  headers?: HeadersInit;
  /** Called once for each subscription when its stream closes, with its topics. */
  onClose?: (info: CloseInfo & { topics: readonly string[] }) => void;
}

/**
 * What a subscriber asks for besides its topics.
 *
 * @example
 * ```ts
 * await stub.subscribe(['user:42'], { lastEventId: '0k3f9x2m1z7abq-42' });
 * ```
 */
export interface HubSubscribeOptions {
  /** Replay what came after this id first (an invalid or unknown one gets `reset`). */
  lastEventId?: string | undefined;
  /** The request itself, on the `fetch` path: its `signal` and `Last-Event-ID` are used. */
  request?: Request;
  /**
   * Sent first to a client that does not resume (no `Last-Event-ID`): the
   * state the live messages apply to. Read it in the same call, so that
   * nothing published in between is missed (the object runs one call at a time).
   */
  initial?: readonly SSEItem[];
}

/**
 * The hub's counters (since the object started or last closed its hub) and
 * what its log holds.
 *
 * @example
 * ```ts
 * const { subscribers, log } = await stub.stats();
 * ```
 */
export type DurableHubStats = HubStats & { log: DurableLogStats };

/**
 * A hub in a Durable Object: what {@link SSEHub} exposes over RPC, for a
 * class of your own to delegate to.
 *
 * @example
 * ```ts
 * export class Feed extends DurableObject {
 *   #hub = createDurableHub(this.ctx, { log: { maxAge: 3_600_000 } });
 *   subscribe(topics: string[], options?: HubSubscribeOptions) { return this.#hub.subscribe(topics, options); }
 *   publish(topic: string, message: SSEMessage) { return this.#hub.publish(topic, message); }
 * }
 * ```
 */
export interface DurableHub {
  /** The event stream of a new subscription: replay after `lastEventId`, then live. */
  subscribe(topics: string | readonly string[], options?: HubSubscribeOptions): Response;
  /** Publishes to every subscriber of the topics; resolves to the id once stored. */
  publish(topics: string | readonly string[], message: SSEMessage | string): Promise<string>;
  /** Ends every open stream (clients reconnect and resume); the object keeps serving. */
  close(options?: HubCloseOptions): Promise<void>;
  /** Counters and the log's size. */
  stats(): DurableHubStats;
  /**
   * The `fetch` path: `GET ?topic=a&topic=b` subscribes with the request's
   * signal. No topic, more than `maxTopics` or one longer than
   * `maxTopicLength`: a `400` that says what to do.
   */
  fetch(request: Request): Response;
}

/**
 * Builds a hub on an object's SQLite storage, for a Durable Object class of
 * your own (or use {@link SSEHub} as it is). Call it once, in the
 * constructor.
 *
 * @example
 * ```ts
 * import { DurableObject } from 'cloudflare:workers';
 * import { createDurableHub } from 'ssekit/durable-objects';
 *
 * export class Room extends DurableObject {
 *   #hub = createDurableHub(this.ctx, { maxConnectionAge: 30 * 60_000 });
 *   subscribe(topics: string[], options?: { lastEventId?: string }) {
 *     return this.#hub.subscribe(topics, options);
 *   }
 *   async say(text: string) {
 *     return this.#hub.publish('chat', { event: 'said', data: text });
 *   }
 * }
 * ```
 */
export function createDurableHub(
  ctx: DurableObjectStateLike,
  options: DurableHubOptions = {},
): DurableHub {
  const { log: logOptions, heartbeat = 15_000, retry, headers, onClose, ...hubOptions } = options;
  const log = createDurableLog(ctx?.storage, logOptions);
  const bounds = topicBounds(hubOptions);
  // Checked once here rather than at the first subscriber: sseResponse
  // validates its options when called, and this stream is never read.
  void sseResponse([], { heartbeat, retry, headers }).body?.cancel();
  // Each hub gets the log without close(): closing one hub must not stop the next.
  const view: HubLog = {
    append: log.append,
    follow: log.follow,
    read: log.read,
    compare: log.compare,
  };
  const make = () => createHub({ ...hubOptions, log: view });
  let hub: Hub = make();

  const subscribe = (
    topics: string | readonly string[],
    { lastEventId, request, initial }: HubSubscribeOptions = {},
  ) => {
    const list = topicList(topics, bounds);
    const current = hub;
    // Over RPC: anything may come.
    const cursor = typeof lastEventId === 'string' ? validLastEventId(lastEventId) : undefined;
    const live = (stream: SSEContext) =>
      current.subscribe(list, {
        lastEventId: stream.lastEventId ?? cursor,
        signal: stream.signal,
        close: () => stream.close(),
      });
    return sseResponse(
      initial
        ? async function* (stream) {
            const subscription = live(stream); // registered before the state is sent
            if ((stream.lastEventId ?? cursor) === undefined) yield* initial;
            yield* subscription;
          }
        : live,
      {
        request,
        heartbeat,
        retry,
        headers,
        onClose: onClose && ((info) => onClose({ ...info, topics: list })),
      },
    );
  };

  return {
    subscribe,
    publish: (topics, message) => hub.publish(topics, message),
    async close(closeOptions) {
      const closing = hub;
      hub = make();
      await closing.close(closeOptions);
    },
    stats: () => ({ ...hub.stats(), log: log.stats() }),
    fetch(request) {
      const topics = new URL(request.url).searchParams.getAll('topic');
      if (request.method !== 'GET' || topics.length === 0) {
        return new Response('Subscribe with GET ?topic=<topic> (one or more).\n', { status: 400 });
      }
      try {
        return subscribe(topics, { request });
      } catch (error) {
        return new Response(`${(error as Error).message}\n`, { status: 400 });
      }
    },
  };
}
