import { isObject, need, needCount } from '../../../src/checks.ts';
import { SSEError } from '../../../src/errors.ts';
import { type LogBounds, logBounds, newEpoch } from '../../../src/hub/index.ts';
import {
  checkSession,
  type McpEventStores,
  mcpEventStore,
  type SessionEvent,
  type SessionEventLog,
} from '../../../src/mcp/index.ts';
import { commander, type RedisClientLike } from './redis-client.ts';
import { AFTER, APPEND, STREAM_OF } from './redis-event-scripts.ts';

/**
 * Options of {@link createRedisEventStores}: the client, where the keys go,
 * and each session's bounds.
 *
 * @example
 * ```ts
 * createRedisEventStores({ client, prefix: 'app:mcp:', maxEntries: 5000, maxAge: 30 * 60_000, ttl: 2 * 3_600_000 });
 * ```
 */
export interface RedisEventStoresOptions extends LogBounds {
  /** A connected client (ioredis or node-redis). */
  client: RedisClientLike;
  /** The start of every key. Default `'ssekit:mcp:'`; no `{` or `}` (the session's hash tag follows it). */
  prefix?: string;
  /** Milliseconds a session's keys live after its last event: abandoned sessions go by themselves. Default one hour. */
  ttl?: number;
}

// A page's messages, in bytes, before the next event of the stream waits
// for the next call (one event always fits): a replay never asks Redis for
// much more at once.
const PAGE_BYTES = '1048576';
// Entries one call looks at, at most: about 1000 entries keep Redis busy for
// a few milliseconds; a replay across many events of other streams takes
// several calls.
const SCAN = '1000';
// An id of these stores: the epoch (28 characters), then the event's number.
const ID = /^([0-9a-z]{28})-(0|[1-9]\d{0,15})$/;

/**
 * MCP event stores on Redis, one per session, shared by every server
 * process that uses the same Redis and `prefix`: a client cut from one
 * process resumes through another. A session is two keys, in one Redis
 * Cluster slot (`<prefix>{<SHA-256 of the session id>}:meta` and
 * `:events`): the session id, the session's credential, is never written
 * out. Each operation is one Lua script. Each session keeps at most
 * `maxEntries` (1000) events, `maxBytes` (16 MiB) and, when set, `maxAge`
 * ms; its keys expire `ttl` (one hour) after its last event.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { createRedisEventStores } from 'ssekit/redis';
 *
 * const client = await createClient({ url: process.env.REDIS_URL })
 *   .on('error', (error) => console.error('redis:', error))
 *   .connect();
 * const stores = createRedisEventStores({ client });
 * const sessionId = crypto.randomUUID();
 * const transport = new StreamableHTTPServerTransport({
 *   sessionIdGenerator: () => sessionId,
 *   eventStore: stores.session(sessionId),
 *   onsessionclosed: (id) => stores.deleteSession(id),
 * });
 * ```
 */
export function createRedisEventStores(options: RedisEventStoresOptions): McpEventStores {
  need(isObject(options), 'createRedisEventStores(options)', 'an object', options);
  const { client, prefix = 'ssekit:mcp:', ttl = 3_600_000 } = options;
  const run = commander(client, 'client');
  need(
    typeof prefix === 'string' && !/[{}]/.test(prefix),
    'prefix',
    'a string without { or }',
    prefix,
    "The session's hash tag follows it, which keeps its keys in one Redis Cluster slot: use a prefix such as 'app:mcp:'.",
  );
  const { maxEntries, maxBytes, maxAge } = logBounds('createRedisEventStores(options)', options);
  needCount('ttl', ttl);
  const bounds = [
    String(maxEntries),
    String(maxBytes),
    Number.isFinite(maxAge) ? String(maxAge) : '',
  ];
  const age = bounds[2]!;

  const log = (sessionId: string): SessionEventLog => {
    let keys: Promise<string[]> | undefined;
    // The keys, once: the digest is asynchronous on the web platform.
    const keysOf = () => (keys ??= sessionKeys(prefix, sessionId));
    const script = async (lua: string, args: string[]) =>
      run(['EVAL', lua, '2', ...(await keysOf()), ...args]);
    return {
      async append(stream, message) {
        const reply = (await script(APPEND, [
          newEpoch() + newEpoch(),
          stream,
          message,
          ...bounds,
          String(ttl),
        ])) as [string, unknown];
        return `${reply[0]}-${reply[1]}`;
      },
      async streamOf(id) {
        const at = ID.exec(id);
        if (!at) return undefined;
        const stream = await script(STREAM_OF, [at[1]!, at[2]!, age]);
        return stream == null ? undefined : String(stream);
      },
      async after(id, limit) {
        const at = ID.exec(id);
        if (!at) return undefined;
        const epoch = at[1]!;
        let from = at[2]!;
        let streamId = '';
        for (;;) {
          const reply = (await script(AFTER, [
            epoch,
            from,
            streamId,
            String(limit),
            PAGE_BYTES,
            SCAN,
            age,
          ])) as [string, string, unknown, unknown[]] | null;
          if (reply == null) {
            if (streamId === '') return undefined;
            throw new SSEError(
              `Session events: the events after ${epoch}-${from} were trimmed or deleted during a replay. The client may resume again.`,
            );
          }
          const [stream, state, last, found] = reply;
          const events: SessionEvent[] = [];
          for (let i = 0; i < found.length; i += 2) {
            events.push({ id: `${epoch}-${found[i]}`, message: String(found[i + 1]) });
          }
          // Looked at as many as one call may, and found none: read on.
          if (state === 'scan' && events.length === 0) {
            from = String(last);
            streamId = String(stream);
            continue;
          }
          return { streamId: String(stream), events, last: state === 'end' };
        }
      },
      async delete() {
        await run(['DEL', ...(await keysOf())]);
      },
    };
  };

  return {
    session: (sessionId) => mcpEventStore(log(checkSession(sessionId))),
    deleteSession: (sessionId) => log(checkSession(sessionId)).delete(),
  };
}

/**
 * A session's keys: its hash tag is the SHA-256 of its id in hex, so no
 * session id, whatever its characters (`{`, `}`), can move the tag, and
 * the keyspace does not show the ids, which are the sessions' credentials.
 */
async function sessionKeys(prefix: string, sessionId: string): Promise<string[]> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sessionId));
  let tag = '';
  for (const byte of new Uint8Array(digest)) tag += byte.toString(16).padStart(2, '0');
  return [`${prefix}{${tag}}:meta`, `${prefix}{${tag}}:events`];
}
