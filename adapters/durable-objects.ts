/**
 * ssekit/durable-objects: the hub on Cloudflare Workers. Every request of a
 * Worker may run in another isolate, so an in-memory hub reaches only its
 * own clients; a Durable Object is one single-threaded instance per name,
 * reachable from every Worker. The hub lives in the object, its log in the
 * object's SQLite storage (ids keep increasing, replay survives eviction),
 * and the Worker routes each subscriber and each publish to it by name.
 *
 * Open event streams keep an object in memory (they cannot hibernate as
 * WebSockets can), and inside the object a client that left is noticed only
 * at a write: heartbeats bound how long a gone client is held.
 *
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import { createHub, type Hub } from '../src/hub/hub.ts';
import type { HubLog } from '../src/hub/log.ts';
import type { HubCloseOptions, HubOptions, HubStats } from '../src/hub/options.ts';
import { topicList } from '../src/hub/settings.ts';
import type { SSEContext } from '../src/server/context.ts';
import { validLastEventId } from '../src/server/last-event-id.ts';
import type { CloseInfo } from '../src/server/options.ts';
import { sseResponse } from '../src/server/response.ts';
import type { SSEItem, SSEMessage } from '../src/wire/message.ts';
import {
  createDurableLog,
  type DurableLogOptions,
  type DurableLogStats,
  type DurableStorageLike,
} from './durable-log.ts';

export {
  createDurableLog,
  type DurableLog,
  type DurableLogOptions,
  type DurableLogStats,
  type DurableStorageLike,
  type SqlCursorLike,
} from './durable-log.ts';
export {
  type HubNamespaceLike,
  type HubStubLike,
  hubStub,
  shardOf,
  subscribeToHub,
} from './durable-route.ts';

/**
 * The `ctx` workerd hands a Durable Object (the part ssekit uses).
 *
 * @example
 * ```ts
 * constructor(ctx: DurableObjectStateLike, env: Env) { super(ctx, env); }
 * ```
 */
export interface DurableObjectStateLike {
  storage: DurableStorageLike;
  /** Ends this instance; the next call starts a new one (storage is kept). */
  abort?(reason?: string): void;
}

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
 * await stub.subscribe(['user:42'], { lastEventId: '1754000000123' });
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
  /** The `fetch` path: `GET ?topic=a&topic=b` subscribes with the request's signal. */
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
    const list = topicList(topics);
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

/**
 * A ready-made Durable Object class holding one hub: export it from your
 * Worker, bind it (`new_sqlite_classes`), and call its RPC methods through
 * a stub: `subscribe`, `publish`, `close`, `stats`; `fetch` serves
 * `GET ?topic=…` for a Worker that forwards requests. Extend it to pass
 * options or add methods.
 *
 * @example
 * ```ts
 * // worker.ts; wrangler.toml: [[durable_objects.bindings]] name = "HUB", class_name = "NotificationHub"
 * // [[migrations]] tag = "v1", new_sqlite_classes = ["NotificationHub"]
 * import { SSEHub } from 'ssekit/durable-objects';
 *
 * export class NotificationHub extends SSEHub {
 *   constructor(ctx: DurableObjectStateLike, env: Env) {
 *     super(ctx, env, { log: { maxEntries: 1000, maxAge: 10 * 60_000 }, maxConnectionAge: 30 * 60_000 });
 *   }
 * }
 * ```
 */
export class SSEHub<Env = unknown> extends DurableObject<Env> {
  readonly #hub: DurableHub;

  constructor(ctx: DurableObjectStateLike, env: Env, options?: DurableHubOptions) {
    super(ctx, env);
    this.#hub = createDurableHub(ctx, options);
  }

  /**
   * The event stream of a new subscription (over RPC: return it from the
   * Worker). Override it to add `initial` (a first state) or to check topics.
   */
  subscribe(
    topics: string | readonly string[],
    options?: { lastEventId?: string | undefined; initial?: readonly SSEItem[] },
  ): Response {
    return this.#hub.subscribe(topics, {
      lastEventId: options?.lastEventId,
      initial: options?.initial,
    });
  }

  /** Publishes to the topics' subscribers; resolves to the id once stored. */
  publish(topics: string | readonly string[], message: SSEMessage | string): Promise<string> {
    return this.#hub.publish(topics, message);
  }

  /** Ends every open stream gently; clients reconnect and resume. */
  close(options?: HubCloseOptions): Promise<void> {
    return this.#hub.close(options);
  }

  /** Counters and the log's size. */
  stats(): DurableHubStats {
    return this.#hub.stats();
  }

  /** Serves `GET ?topic=a&topic=b` for a Worker that forwards with `stub.fetch(request)`. */
  fetch(request: Request): Response {
    return this.#hub.fetch(request);
  }
}
