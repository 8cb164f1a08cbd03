import type { StreamEnd } from '../../../src/resumable/index.ts';
import { type DurableStorageLike, type SqlCursorLike, sqlOf } from './durable-storage.ts';

const STATE = 'ssekit_stream';
/** @internal The entries' table: `n` (1, 2, …), `size` (the body's UTF-8 bytes), `body`. */
export const ENTRIES = 'ssekit_stream_entries';

/** @internal The state row, as read. */
export interface StreamRow {
  id: string;
  epoch: string;
  token: string;
  count: number;
  bytes: number;
  end: StreamEnd | undefined;
  leaseUntil: number;
  expires: number;
}

/** @internal What the stream's methods do with its rows. */
export interface StreamRows {
  run(query: string, ...bindings: unknown[]): ReturnType<SqlCursorLike['toArray']>;
  atomically<T>(closure: () => T): T;
  /** The state row, if a stream is kept. */
  load(): StreamRow | undefined;
  /** Drops the tables (and any stream in them), then makes them with `row`. */
  create(row: StreamRow): void;
  /** Drops the tables: the object keeps nothing of the stream. */
  wipe(): void;
  /** Writes the row's count, bytes, lease and expiry. */
  saveProgress(row: StreamRow): void;
  /** Writes the row's end and expiry. */
  saveEnd(row: StreamRow): void;
  /** Sets the object's alarm, where workerd has alarms. */
  alarmAt(time: number): void;
}

/** @internal The rows of the stream kept in `storage` (the object's `ctx.storage`). */
export function streamRows(storage: DurableStorageLike): StreamRows {
  const run = sqlOf(storage);
  // The tables are made at the claim: an object only read (an unknown id)
  // stores nothing.
  let made = false;
  const exists = () =>
    (made ||=
      run(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, STATE).length > 0);
  const wipe = () => {
    run(`DROP TABLE IF EXISTS ${ENTRIES}`);
    run(`DROP TABLE IF EXISTS ${STATE}`);
    made = false;
  };

  return {
    run,
    atomically: (closure) =>
      storage.transactionSync ? storage.transactionSync(closure) : closure(),
    load() {
      if (!exists()) return undefined;
      const [row] = run(`SELECT * FROM ${STATE}`);
      if (!row) return undefined;
      return {
        id: String(row.id),
        epoch: String(row.epoch),
        token: String(row.token),
        count: Number(row.count),
        bytes: Number(row.bytes),
        end: row.end_state
          ? ({ state: row.end_state, reason: row.end_reason ?? undefined } as StreamEnd)
          : undefined,
        leaseUntil: Number(row.lease_until),
        expires: Number(row.expires),
      };
    },
    create(row) {
      wipe();
      run(
        `CREATE TABLE ${STATE} (one INTEGER PRIMARY KEY CHECK (one = 1), id TEXT NOT NULL, epoch TEXT NOT NULL, token TEXT NOT NULL, count INTEGER NOT NULL, bytes INTEGER NOT NULL, end_state TEXT, end_reason TEXT, lease_until INTEGER NOT NULL, expires INTEGER NOT NULL)`,
      );
      run(
        `CREATE TABLE ${ENTRIES} (n INTEGER PRIMARY KEY, size INTEGER NOT NULL, body TEXT NOT NULL)`,
      );
      run(
        `INSERT INTO ${STATE} VALUES (1, ?, ?, ?, 0, 0, NULL, NULL, ?, ?)`,
        row.id,
        row.epoch,
        row.token,
        row.leaseUntil,
        row.expires,
      );
      made = true;
    },
    wipe,
    saveProgress(row) {
      run(
        `UPDATE ${STATE} SET count = ?, bytes = ?, lease_until = ?, expires = ?`,
        row.count,
        row.bytes,
        row.leaseUntil,
        row.expires,
      );
    },
    saveEnd(row) {
      run(
        `UPDATE ${STATE} SET end_state = ?, end_reason = ?, expires = ?`,
        row.end?.state ?? null,
        row.end?.reason ?? null,
        row.expires,
      );
    },
    alarmAt(time) {
      storage.setAlarm?.(time)?.catch?.(() => {});
    },
  };
}
