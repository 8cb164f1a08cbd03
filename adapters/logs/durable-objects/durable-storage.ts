/**
 * What ssekit uses of a Durable Object: its `ctx` and the SQLite storage in
 * it, as much as the hub and its log touch (workerd's own types are not
 * needed to build against ssekit).
 *
 * @module
 */
import { need } from '../../../src/checks.ts';

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
 * What a query of `ctx.storage.sql` returns (the part the log uses).
 *
 * @example
 * ```ts
 * const rows = ctx.storage.sql.exec('SELECT id FROM notes WHERE id > ?', 10).toArray();
 * ```
 */
export interface SqlCursorLike {
  toArray(): Record<string, unknown>[];
}

/**
 * A Durable Object's storage, as much of it as the log uses: `sql` (SQLite
 * storage only) and, where workerd has it, `transactionSync`; resumable
 * streams also set alarms and delete what they kept.
 *
 * @example
 * ```ts
 * const storage: DurableStorageLike = this.ctx.storage;
 * ```
 */
export interface DurableStorageLike {
  sql?: { exec(query: string, ...bindings: unknown[]): SqlCursorLike };
  transactionSync?<T>(closure: () => T): T;
  /** Sets the object's one alarm (resumable streams: the lease's and the retention's deadlines). */
  setAlarm?(scheduledTime: number): Promise<void>;
  /** Deletes everything the object stores (a stream past its retention). */
  deleteAll?(): Promise<void>;
}

/**
 * @internal The largest row kept. workerd's SQLite refuses a row above
 * 2,200,000 bytes (SQLITE_TOOBIG, measured; Cloudflare documents 2 MB).
 */
export const MAX_ROW = 2 * 1024 * 1024;

/**
 * @internal The queries of `storage`'s SQLite (each answered as rows), or an
 * `SSEOptionError` when it has none: the one check of every table ssekit
 * keeps in an object.
 */
export function sqlOf(storage: DurableStorageLike) {
  const sql = storage?.sql;
  need(
    typeof sql?.exec === 'function',
    'storage.sql',
    'the SQLite storage of a Durable Object (ctx.storage)',
    sql,
    'Declare the class in new_sqlite_classes of a wrangler.toml migration (miniflare: useSQLite: true).',
  );
  return (query: string, ...bindings: unknown[]) => sql!.exec(query, ...bindings).toArray();
}

/** @internal A table's name, checked: it goes into SQL as it is. */
export function needTable(table: unknown, example: string): asserts table is string {
  need(
    typeof table === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(table),
    'table',
    'a SQL name of letters, digits and _ (up to 41 characters)',
    table,
    `Use a name such as ${example}.`,
  );
}
