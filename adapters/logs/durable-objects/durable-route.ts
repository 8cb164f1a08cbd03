/**
 * The Worker's side of a hub in a Durable Object: which instance a request
 * goes to, and a subscription over RPC (the path on which a client that
 * leaves reaches the object without any compatibility flag).
 *
 * @module
 */
import { need, needCount } from '../../../src/checks.ts';
import { type LastEventIdOptions, lastEventIdFrom } from '../../../src/server/last-event-id.ts';

/**
 * A Durable Object namespace binding (`env.HUB`), as much as ssekit uses.
 *
 * @example
 * ```ts
 * interface Env { HUB: HubNamespaceLike<HubStubLike> }
 * ```
 */
export interface HubNamespaceLike<Stub> {
  idFromName(name: string): unknown;
  get(id: never): Stub;
}

/**
 * The RPC methods of {@link SSEHub} as a Worker calls them through a stub.
 *
 * @example
 * ```ts
 * const stub: HubStubLike = hubStub(env.HUB, 'user:42');
 * await stub.publish('user:42', { event: 'notification', data: { text: 'hi' } });
 * ```
 */
export interface HubStubLike {
  subscribe(
    topics: string | readonly string[],
    options?: { lastEventId?: string },
  ): Promise<Response> | Response;
  publish(topics: string | readonly string[], message: unknown): Promise<string>;
}

/**
 * The stub of the hub instance called `name`: every Worker that asks for the
 * same name reaches the same object. Name objects after what is published
 * together and read together: one per tenant, per room, or per user for a
 * notification feed; `shardOf` spreads one big audience over several.
 *
 * @example
 * ```ts
 * const hub = hubStub(env.HUB, `user:${userId}`);
 * await hub.publish(`user:${userId}`, { event: 'notification', data: { text } });
 * ```
 */
export function hubStub<Stub>(namespace: HubNamespaceLike<Stub>, name: string): Stub {
  need(
    typeof namespace?.idFromName === 'function' && typeof namespace.get === 'function',
    'namespace',
    'a Durable Object namespace binding such as env.HUB',
    namespace,
    'Check durable_objects.bindings in wrangler.toml.',
  );
  need(
    typeof name === 'string' && name.length > 0,
    'name',
    'a non-empty string that names the hub instance',
    name,
    "Use a name such as 'user:42'.",
  );
  return namespace.get(namespace.idFromName(name) as never);
}

/**
 * Subscribes over RPC and returns the object's event stream as the Worker's
 * response: the request's `Last-Event-ID` (header, or `queryParam`) goes
 * along, so a client resumes where it left off. When the client leaves,
 * workerd cancels the stream in the object at its next writes (a heartbeat
 * at most), with or without `enable_request_signal`. Choose the topics in
 * the Worker, after authentication; never take them from the client as-is.
 * The object refuses more than `maxTopics` (default 100) or a topic longer
 * than `maxTopicLength` (default 256) with an `SSEOptionError`.
 *
 * @example
 * ```ts
 * export default {
 *   async fetch(request: Request, env: Env) {
 *     const userId = await authenticate(request);
 *     const topic = `user:${userId}`;
 *     return subscribeToHub(hubStub(env.HUB, topic), request, topic);
 *   },
 * };
 * ```
 */
export async function subscribeToHub(
  stub: HubStubLike,
  request: Request,
  topics: string | readonly string[],
  options?: LastEventIdOptions,
): Promise<Response> {
  const lastEventId = lastEventIdFrom(request, options);
  return stub.subscribe(topics, lastEventId === undefined ? {} : { lastEventId });
}

/**
 * A shard from 0 to `shards - 1` for `key`, the same in every Worker (FNV-1a):
 * the recipe for an audience larger than one object serves. Subscribers go to
 * `hubStub(env.HUB, `${room}#${shardOf(userId, shards)}`)`, so each client
 * always reaches the same shard and its `Last-Event-ID` stays valid there; a
 * publish goes to every shard.
 *
 * @example
 * ```ts
 * const SHARDS = 8;
 * const mine = hubStub(env.HUB, `news#${shardOf(userId, SHARDS)}`);
 * const all = Array.from({ length: SHARDS }, (_, n) => hubStub(env.HUB, `news#${n}`));
 * await Promise.all(all.map((shard) => shard.publish('news', message)));
 * ```
 */
export function shardOf(key: string, shards: number): number {
  need(
    typeof key === 'string',
    'key',
    'a string',
    key,
    'Pass what spreads the audience, such as a user id.',
  );
  needCount('shards', shards, 'Pass how many shards the audience is spread over, such as 8.');
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
  }
  return (hash >>> 0) % shards;
}
