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
 * Resumable streams (`ssekit/resumable`) are kept here one object per
 * stream: `SSEStreamObject` holds a stream in its SQLite storage, and
 * `createDurableStreamStore(env.STREAMS)` is the store a Worker gives
 * `createResumableStreams`.
 *
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type { HubCloseOptions } from '../../../src/hub/index.ts';
import type { SSEItem, SSEMessage } from '../../../src/index.ts';
import {
  createDurableHub,
  type DurableHub,
  type DurableHubOptions,
  type DurableHubStats,
} from './durable-hub.ts';
import type { DurableObjectStateLike } from './durable-storage.ts';

export { createDurableEventStore, type DurableEventStoreOptions } from './durable-event-store.ts';
export {
  createDurableHub,
  type DurableHub,
  type DurableHubOptions,
  type DurableHubStats,
  type HubSubscribeOptions,
} from './durable-hub.ts';
export {
  createDurableLog,
  type DurableLog,
  type DurableLogOptions,
  type DurableLogStats,
} from './durable-log.ts';
export {
  type HubNamespaceLike,
  type HubStubLike,
  hubStub,
  shardOf,
  subscribeToHub,
} from './durable-route.ts';
export type {
  DurableObjectStateLike,
  DurableStorageLike,
  SqlCursorLike,
} from './durable-storage.ts';
export {
  createDurableStreamStore,
  type DurableStreamStoreOptions,
  type StreamNamespaceLike,
  type StreamObjectStubLike,
} from './durable-stream-store.ts';
export { SSEStreamObject } from './stream-object.ts';

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

  /**
   * Serves `GET ?topic=a&topic=b` for a Worker that forwards with
   * `stub.fetch(request)`; more than `maxTopics` topics, or one longer than
   * `maxTopicLength`, get a `400`.
   */
  fetch(request: Request): Response {
    return this.#hub.fetch(request);
  }
}
