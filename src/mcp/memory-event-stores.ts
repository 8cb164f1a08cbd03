import { isObject, need, needCount } from '../checks.ts';
import { counterOf, newEpoch } from '../hub/epoch.ts';
import { type LogBounds, logBounds } from '../hub/log.ts';
import { utf8Length } from '../wire/bytes.ts';
import { type McpEventStores, mcpEventStore } from './mcp-event-store.ts';
import type { SessionEvent, SessionEventLog } from './session-events.ts';

/**
 * Bounds of {@link createMemoryEventStores}: per session (count, bytes, age,
 * as a hub's log), and the sessions kept at once.
 *
 * @example
 * ```ts
 * createMemoryEventStores({ maxEntries: 1000, maxBytes: 4 << 20, maxAge: 10 * 60_000, maxSessions: 500 });
 * ```
 */
export interface MemoryEventStoresOptions extends LogBounds {
  /** Sessions kept at once; past it the one written to longest ago goes. Default 1000. */
  maxSessions?: number;
}

interface Session {
  readonly epoch: string;
  /** Event n (from `first`) is events[n - first]. */
  readonly events: { stream: string; message: string; at: number; bytes: number }[];
  first: number;
  bytes: number;
}

/**
 * MCP event stores in this process's memory, one per session: for one
 * server process. Each session keeps at most `maxEntries` (1000) events,
 * `maxBytes` (16 MiB) and, when set, `maxAge` ms; at most `maxSessions`
 * (1000) sessions are kept. For a server of several processes use
 * `createRedisEventStores` (`ssekit/redis`); on Workers,
 * `ssekit/durable-objects`.
 *
 * @example
 * ```ts
 * import { createMemoryEventStores } from 'ssekit/mcp';
 *
 * const stores = createMemoryEventStores();
 * const sessionId = crypto.randomUUID();
 * const transport = new StreamableHTTPServerTransport({
 *   sessionIdGenerator: () => sessionId,
 *   eventStore: stores.session(sessionId),
 *   onsessionclosed: (id) => stores.deleteSession(id),
 * });
 * ```
 */
export function createMemoryEventStores(options: MemoryEventStoresOptions = {}): McpEventStores {
  need(isObject(options), 'createMemoryEventStores(options)', 'an object', options);
  const { maxEntries, maxBytes, maxAge } = logBounds('createMemoryEventStores(options)', options);
  const { maxSessions = 1000 } = options;
  needCount('maxSessions', maxSessions);
  // In the order written to last: the first is the one to drop.
  const sessions = new Map<string, Session>();

  const trim = (session: Session, now: number) => {
    const { events } = session;
    let drop = 0;
    while (
      drop < events.length &&
      (events.length - drop > maxEntries ||
        session.bytes > maxBytes ||
        now - events[drop]!.at > maxAge)
    ) {
      session.bytes -= events[drop]!.bytes;
      drop++;
    }
    if (drop > 0) {
      events.splice(0, drop);
      session.first += drop;
    }
  };
  // Event `id` of `session` when it is kept: its index, else -1.
  const indexOf = (session: Session | undefined, id: string) => {
    if (!session) return -1;
    trim(session, Date.now());
    const n = counterOf(id, session.epoch) - session.first;
    return n >= 0 && n < session.events.length ? n : -1;
  };

  const log = (sessionId: string): SessionEventLog => ({
    async append(stream, message) {
      const now = Date.now();
      let session = sessions.get(sessionId);
      if (session) sessions.delete(sessionId);
      else session = { epoch: newEpoch() + newEpoch(), events: [], first: 1, bytes: 0 };
      sessions.set(sessionId, session);
      if (sessions.size > maxSessions) sessions.delete(sessions.keys().next().value!);
      const bytes = utf8Length(message) + stream.length + 48;
      session.events.push({ stream, message, at: now, bytes });
      session.bytes += bytes;
      const id = session.epoch + '-' + (session.first + session.events.length - 1);
      trim(session, now);
      return id;
    },
    async streamOf(id) {
      const session = sessions.get(sessionId);
      const n = indexOf(session, id);
      return n < 0 ? undefined : session!.events[n]!.stream;
    },
    async after(id, limit) {
      const session = sessions.get(sessionId);
      const n = indexOf(session, id);
      if (n < 0) return undefined;
      const { events, epoch, first } = session!;
      const streamId = events[n]!.stream;
      const page: SessionEvent[] = [];
      let i = n + 1;
      for (; i < events.length && page.length < limit; i++) {
        if (events[i]!.stream === streamId) {
          page.push({ id: epoch + '-' + (first + i), message: events[i]!.message });
        }
      }
      // Past the page's last event, is there another of this stream?
      while (i < events.length && events[i]!.stream !== streamId) i++;
      return { streamId, events: page, last: i >= events.length };
    },
    async delete() {
      sessions.delete(sessionId);
    },
  });

  return {
    session: (sessionId) => mcpEventStore(log(checkSession(sessionId))),
    deleteSession: (sessionId) => log(checkSession(sessionId)).delete(),
  };
}

/** @internal A session id, checked before it names anything: a string of 1 to 256 visible ASCII characters. */
export function checkSession(sessionId: unknown): string {
  need(
    typeof sessionId === 'string' && /^[\x21-\x7e]{1,256}$/.test(sessionId),
    'sessionId',
    'a string of 1 to 256 visible ASCII characters',
    sessionId,
    'Pass the transport’s session id (a UUID).',
  );
  return sessionId;
}
