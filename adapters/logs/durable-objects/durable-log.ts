import {
  counterOf,
  type HubEntry,
  type HubLog,
  type HubPage,
  hubEntry,
  type LogBounds,
  logBounds,
  newEpoch,
} from '../../../src/hub/index.ts';
import { type DurableStorageLike, MAX_ROW, needTable, sqlOf } from './durable-storage.ts';

/**
 * Bounds of the durable log, as those of `createMemoryLog`, and the name of
 * its table.
 *
 * @example
 * ```ts
 * createDurableLog(ctx.storage, { maxEntries: 10_000, maxAge: 24 * 60 * 60_000 });
 * ```
 */
export interface DurableLogOptions extends LogBounds {
  /** The entries' table; `<table>_state` holds the counters and the epoch. Default `'ssekit_hub'`. */
  table?: string;
}

/**
 * What the durable log holds right now.
 *
 * @example
 * ```ts
 * const { entries, bytes, head } = log.stats();
 * ```
 */
export interface DurableLogStats {
  /** Entries kept for replay. */
  entries: number;
  /** Their bytes, as subscribers get them. */
  bytes: number;
  /** The newest id the log assigned, if any. */
  head: string | undefined;
}

/**
 * A {@link HubLog} kept in SQLite, with its current size.
 *
 * @example
 * ```ts
 * const log: DurableLog = createDurableLog(ctx.storage);
 * log.stats().entries;
 * ```
 */
export interface DurableLog extends HubLog {
  stats(): DurableLogStats;
}

// An entry whose message bytes (the body, plus an id line that outweighs
// the row's header and integers) and topic bytes pass MAX_ROW goes live but
// is not kept, like one above maxBytes.
// Rows one page looks at: a replay for a rare topic never reads the whole table at once.
const SCAN = 1000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The hub's log in a Durable Object's SQLite storage. Ids are
 * `<epoch>-<n>`: `n` increases by one per entry and survives restarts; the
 * epoch (64 random bits) is kept in the `<table>_state` row, made with the
 * table, so an id of another object (another shard), of another table, or
 * of a history deleted with `storage.deleteAll()` gets `reset` instead of
 * landing in this history. A cursor that is not an id as this log writes
 * them, or whose successors were deleted, gets `reset` as well. A state
 * table of ssekit 0.2.0 (bare-number ids) gets an epoch on first use; its
 * old cursors get one `reset`. Old entries go on `append` and `read`, never
 * on a timer. An entry whose row would exceed 2 MiB (its message's bytes and its
 * topics', joined by LF) or whose message exceeds `maxBytes` is delivered
 * live and not kept: a cursor before it gets `reset`.
 *
 * @example
 * ```ts
 * import { createHub } from 'ssekit/hub';
 * import { createDurableLog } from 'ssekit/durable-objects';
 *
 * const hub = createHub({ log: createDurableLog(ctx.storage, { maxAge: 60 * 60_000 }) });
 * ```
 */
export function createDurableLog(
  storage: DurableStorageLike,
  options: DurableLogOptions = {},
): DurableLog {
  const run = sqlOf(storage);
  const { maxEntries, maxBytes, maxAge } = logBounds('createDurableLog(storage, options)', options);
  const { table = 'ssekit_hub' } = options;
  needTable(table, 'ssekit_hub');
  const atomically = <T>(closure: () => T): T =>
    storage.transactionSync ? storage.transactionSync(closure) : closure();
  const state = `${table}_state`;

  // origin: the counter before the first one; floor: the newest counter
  // deleted (or origin); last: the newest counter assigned. A cursor from
  // floor to last, of this epoch, can be replayed.
  let epoch = '';
  let origin = 0;
  let floor = 0;
  let last = 0;
  let count = 0;
  let bytes = 0;
  atomically(() => {
    run(
      `CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, topics TEXT NOT NULL, size INTEGER NOT NULL, body BLOB NOT NULL)`,
    );
    run(
      `CREATE TABLE IF NOT EXISTS ${state} (one INTEGER PRIMARY KEY CHECK (one = 1), origin INTEGER NOT NULL, floor INTEGER NOT NULL, last INTEGER NOT NULL, epoch TEXT)`,
    );
    // The state table of 0.2.0 has no epoch: it gets one below, and the
    // bare-number cursors of its clients get one reset.
    const columns = run(`PRAGMA table_info(${state})`);
    if (!columns.some((column) => column.name === 'epoch')) {
      run(`ALTER TABLE ${state} ADD COLUMN epoch TEXT`);
    }
    run(`INSERT OR IGNORE INTO ${state} (one, origin, floor, last) VALUES (1, 0, 0, 0)`);
    run(`UPDATE ${state} SET epoch = ? WHERE one = 1 AND epoch IS NULL`, newEpoch());
    const [saved] = run(`SELECT epoch, origin, floor, last FROM ${state}`);
    epoch = String(saved!.epoch);
    origin = Number(saved!.origin);
    floor = Number(saved!.floor);
    last = Number(saved!.last);
    const [size] = run(`SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM ${table}`);
    count = Number(size!.n);
    bytes = Number(size!.b);
  });
  const listeners = new Set<(entry: HubEntry) => void>();

  const save = () => run(`UPDATE ${state} SET floor = ?, last = ? WHERE one = 1`, floor, last);
  // Deletes rows from the oldest on; the caller passes the statement's tail.
  const drop = (where: string, ...bindings: unknown[]) => {
    for (const row of run(`DELETE FROM ${table} WHERE ${where} RETURNING id, size`, ...bindings)) {
      count--;
      bytes -= Number(row.size);
      floor = Math.max(floor, Number(row.id));
    }
  };
  const dropOldest = (rows: number) =>
    drop(`id IN (SELECT id FROM ${table} ORDER BY id LIMIT ?)`, rows);
  // Entries older than maxAge go from the front, so that "every id above
  // floor is kept" stays true even if the clock stepped back.
  const evictOld = (now: number) => {
    if (maxAge === Number.POSITIVE_INFINITY || count === 0) return;
    const [young] = run(`SELECT id FROM ${table} WHERE at >= ? ORDER BY id LIMIT 1`, now - maxAge);
    if (young) drop('id < ?', young.id);
    else drop('1');
  };
  const seq = (id: string) => counterOf(id, epoch);
  const idOf = (counter: number) => epoch + '-' + counter;
  const head = () => (last > origin ? idOf(last) : undefined);

  return {
    append(topics, body) {
      const now = Date.now();
      const id = last + 1;
      const entry = hubEntry(idOf(id), topics, body);
      const size = entry.message.bytes.length;
      const list = topics.join('\n');
      // The topics are a column of the row too: 1,100 of 100 characters are 110 KB.
      const row = size + encoder.encode(list).length;
      atomically(() => {
        last = id;
        if (size > maxBytes || row > MAX_ROW) {
          // Not kept: a cursor before it would miss it, so everything before goes too.
          drop('1');
          floor = id;
        } else {
          run(
            `INSERT INTO ${table} (id, at, topics, size, body) VALUES (?, ?, ?, ?, ?)`,
            id,
            now,
            list,
            size,
            encoder.encode(body),
          );
          count++;
          bytes += size;
          if (count > maxEntries) dropOldest(count - maxEntries);
          while (bytes > maxBytes) dropOldest(1);
          evictOld(now);
        }
        save();
      });
      for (const listener of listeners) listener(entry);
      return entry.id;
    },
    follow(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read(cursor, topics, limits): HubPage {
      const from = seq(cursor);
      return atomically(() => {
        const before = floor;
        evictOld(Date.now());
        if (floor !== before) save();
        if (from < floor || from > last) return { entries: [], tooOld: true, head: head() };
        const rows = run(
          `SELECT id, topics, size, body FROM ${table} WHERE id > ? ORDER BY id LIMIT ?`,
          from,
          SCAN,
        );
        const found: HubEntry[] = [];
        let size = 0;
        for (const row of rows) {
          const id = Number(row.id);
          const list = String(row.topics).split('\n');
          if (!list.some((topic) => topics.has(topic))) continue;
          found.push(hubEntry(idOf(id), list, decoder.decode(row.body as ArrayBuffer)));
          size += Number(row.size);
          if ((found.length >= limits.entries || size >= limits.bytes) && id < last) {
            return { entries: found, tooOld: false, head: head(), next: idOf(id) };
          }
        }
        const seen = rows.length === SCAN ? Number(rows[SCAN - 1]!.id) : last;
        return seen < last
          ? { entries: found, tooOld: false, head: head(), next: idOf(seen) }
          : { entries: found, tooOld: false, head: head() };
      });
    },
    compare: (a, b) => seq(a) - seq(b),
    stats: () => ({ entries: count, bytes, head: head() }),
    close() {
      listeners.clear();
    },
  };
}
