/**
 * An MCP session's events in the SQLite storage of the Durable Object that
 * holds the session: on Workers a session's transport lives in one object
 * (every request of the session is routed to it by name), so its events
 * live there too, and survive the object's eviction and restart.
 *
 * @module
 */
import { need } from '../../../src/checks.ts';
import { counterOf, type LogBounds, logBounds, newEpoch } from '../../../src/hub/index.ts';
import {
  type McpEventStore,
  mcpEventStore,
  type SessionEvent,
  type SessionEventLog,
} from '../../../src/mcp/index.ts';
import { type DurableStorageLike, needTable, sqlOf } from './durable-storage.ts';

/**
 * Bounds of {@link createDurableEventStore}: per session, as a hub's log.
 * Defaults 1000 events, 16 MiB, no age bound.
 *
 * @example
 * ```ts
 * createDurableEventStore(ctx.storage, { maxEntries: 5000, maxAge: 60 * 60_000 });
 * ```
 */
export interface DurableEventStoreOptions extends LogBounds {
  /** The events' table; `<table>_state` holds the epoch. Default `'ssekit_mcp'`. */
  table?: string;
}

// Rows one query of a replay reads: a replay of a quiet stream among busy
// ones does not load the whole table at once.
const SCAN = 1000;
// workerd's SQLite refuses a row above about 2 MB: a message that large is
// refused before it is written.
const MAX_ROW = 2 * 1024 * 1024;

/**
 * The MCP SDK's `EventStore` of the session held by this Durable Object,
 * in its SQLite storage (tables `ssekit_mcp` and `ssekit_mcp_state`, or
 * the `table` option's). Ids
 * are `<epoch>-<n>`, the epoch 128 random bits kept in the state row and
 * made again by `deleteAll()` (and by `clear()`), so an id of another
 * session's object, or of events deleted, is unknown. Old events go on
 * each append, by count, bytes and age.
 *
 * @example
 * ```ts
 * import { DurableObject } from 'cloudflare:workers';
 * import { createDurableEventStore } from 'ssekit/durable-objects';
 *
 * export class McpSession extends DurableObject {
 *   events = createDurableEventStore(this.ctx.storage, { maxAge: 60 * 60_000 });
 *   // new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator, eventStore: this.events })
 * }
 * ```
 */
export function createDurableEventStore(
  storage: DurableStorageLike,
  options: DurableEventStoreOptions = {},
): McpEventStore & { clear(): Promise<void> } {
  const sql = sqlOf(storage);
  const { maxEntries, maxBytes, maxAge } = logBounds(
    'createDurableEventStore(storage, options)',
    options,
  );
  const { table = 'ssekit_mcp' } = options;
  needTable(table, 'ssekit_mcp');
  const run = (query: string, ...bindings: unknown[]) =>
    sql(query.replaceAll('ssekit_mcp', table), ...bindings);
  const atomically = <T>(closure: () => T): T =>
    storage.transactionSync ? storage.transactionSync(closure) : closure();

  // Made on first use, not in the constructor: workerd gives no random
  // values at a module's top level, and an object may be made there.
  let epoch: string | undefined;
  const ready = () => {
    if (epoch !== undefined) return epoch;
    run(`CREATE TABLE IF NOT EXISTS ssekit_mcp (n INTEGER PRIMARY KEY, stream TEXT NOT NULL,
      message TEXT NOT NULL, at INTEGER NOT NULL, bytes INTEGER NOT NULL)`);
    run(
      'CREATE TABLE IF NOT EXISTS ssekit_mcp_state (one INTEGER PRIMARY KEY, epoch TEXT NOT NULL)',
    );
    const row = run('SELECT epoch FROM ssekit_mcp_state WHERE one = 1')[0];
    epoch = row ? String(row.epoch) : newEpoch() + newEpoch();
    if (!row) run('INSERT INTO ssekit_mcp_state (one, epoch) VALUES (1, ?)', epoch);
    return epoch;
  };
  const trim = (now: number) => {
    run('DELETE FROM ssekit_mcp WHERE at < ?', now - Math.min(maxAge, now));
    const [count] = run(
      'SELECT COUNT(*) AS c, COALESCE(SUM(bytes), 0) AS b, MIN(n) AS low FROM ssekit_mcp',
    );
    let { c, b, low } = count as { c: number; b: number; low: number };
    if (c > maxEntries) {
      run('DELETE FROM ssekit_mcp WHERE n < ?', low + (c - maxEntries));
      ({ b, low } = run(
        'SELECT COALESCE(SUM(bytes), 0) AS b, MIN(n) AS low FROM ssekit_mcp',
      )[0] as {
        b: number;
        low: number;
      });
    }
    // Past the byte bound: drop the oldest, a page at a time.
    while (b > maxBytes && low !== null) {
      const rows = run('SELECT n, bytes FROM ssekit_mcp WHERE n >= ? ORDER BY n LIMIT 100', low);
      let cut = low;
      for (const row of rows) {
        if (b <= maxBytes) break;
        b -= Number(row.bytes);
        cut = Number(row.n) + 1;
      }
      run('DELETE FROM ssekit_mcp WHERE n < ?', cut);
      low = cut;
      if (rows.length === 0) break;
    }
  };
  // The row number of `id`, when it is this session's and kept; else -1.
  const rowOf = (id: string) => {
    const n = counterOf(id, ready());
    return n > 0 && run('SELECT n FROM ssekit_mcp WHERE n = ?', n).length === 1 ? n : -1;
  };

  const log: SessionEventLog = {
    async append(stream, message) {
      need(
        message.length <= MAX_ROW,
        'storeEvent(message)',
        'JSON text of at most 2 MiB',
        `${message.length} characters`,
      );
      const epoch = ready();
      return atomically(() => {
        const now = Date.now();
        const bytes = new TextEncoder().encode(message).length + stream.length;
        const [row] = run(
          'INSERT INTO ssekit_mcp (stream, message, at, bytes) VALUES (?, ?, ?, ?) RETURNING n',
          stream,
          message,
          now,
          bytes,
        );
        trim(now);
        return epoch + '-' + Number(row!.n);
      });
    },
    async streamOf(id) {
      const n = rowOf(id);
      return n < 0
        ? undefined
        : String(run('SELECT stream FROM ssekit_mcp WHERE n = ?', n)[0]!.stream);
    },
    async after(id, limit) {
      const n = rowOf(id);
      if (n < 0) return undefined;
      const streamId = String(run('SELECT stream FROM ssekit_mcp WHERE n = ?', n)[0]!.stream);
      const events: SessionEvent[] = [];
      let from = n;
      while (events.length < limit) {
        const rows = run(
          'SELECT n, stream, message FROM ssekit_mcp WHERE n > ? ORDER BY n LIMIT ?',
          from,
          SCAN,
        );
        for (const row of rows) {
          from = Number(row.n);
          if (row.stream !== streamId) continue;
          events.push({ id: ready() + '-' + from, message: String(row.message) });
          if (events.length === limit) break;
        }
        if (rows.length < SCAN) break;
      }
      const more = run(
        'SELECT 1 FROM ssekit_mcp WHERE n > ? AND stream = ? LIMIT 1',
        from,
        streamId,
      );
      return { streamId, events, last: more.length === 0 };
    },
    async delete() {
      ready();
      atomically(() => {
        run('DELETE FROM ssekit_mcp');
        epoch = newEpoch() + newEpoch();
        run('UPDATE ssekit_mcp_state SET epoch = ? WHERE one = 1', epoch);
      });
    },
  };
  return { ...mcpEventStore(log), clear: () => log.delete() };
}
