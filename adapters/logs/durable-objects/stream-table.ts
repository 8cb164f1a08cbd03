/**
 * One resumable stream in a Durable Object's SQLite storage (its rows:
 * stream-rows.ts): the object is named after the stream's id
 * (`idFromName`), so each stream has storage of its own and a replay reads
 * only its entries. The object runs one call at a time and SQL is
 * synchronous, so each method here is atomic.
 *
 * @module
 */
import { need } from '../../../src/checks.ts';
import { counterOf, newEpoch } from '../../../src/hub/index.ts';
import type {
  AppendResult,
  StreamEnd,
  StreamPage,
  StreamState,
  StreamTerms,
} from '../../../src/resumable/index.ts';
import { needStreamId } from '../../../src/resumable/stream-id.ts';
import { type DurableStorageLike, MAX_ROW } from './durable-storage.ts';
import { ENTRIES, type StreamRow, streamRows } from './stream-rows.ts';

/** Entries one read gives at most, whatever it asks for. */
const MAX_PAGE = 1000;
/**
 * Bytes of bodies one read gives at most (past the first body): workerd
 * refuses an RPC value above 32 MiB (measured: a page of 40 MB threw).
 */
const MAX_PAGE_BYTES = 8 * 1024 * 1024;
const LOST: StreamEnd = { state: 'errored', reason: 'producer-lost' };
const encoder = new TextEncoder();

/**
 * @internal The stream of one object, as its RPC methods use it: the
 * `StreamStore` contract's methods, synchronous; `version` (what a waiter
 * compares: it changes at every append and at the end); `alarm` (the lease's
 * deadline and the retention's, run by the object's alarm).
 */
export interface StreamTable {
  claim(id: string, terms: StreamTerms): string | undefined;
  append(
    id: string,
    token: string,
    at: number,
    bodies: readonly string[],
    terms: StreamTerms,
  ): AppendResult;
  renew(id: string, token: string, terms: StreamTerms): boolean;
  end(id: string, token: string | undefined, end: StreamEnd, terms: StreamTerms): boolean;
  /** A page; `more` when it was cut short by its bytes, not by `limit` or the stream's end. */
  read(id: string, cursor: string | undefined, limit: number): StreamPage & { more?: true };
  status(id: string): StreamState;
  version(id: string): string;
  /** Calls `listener` at every change of the stream; returns a function that stops it. */
  onChange(listener: () => void): () => void;
  alarm(): Promise<void>;
}

/** @internal The stream kept in `storage` (the object's `ctx.storage`). */
export function createStreamTable(storage: DurableStorageLike): StreamTable {
  const rows = streamRows(storage);
  const { run } = rows;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  const finish = (row: StreamRow, end: StreamEnd, expires: number) => {
    row.end = end;
    row.expires = expires;
    rows.saveEnd(row);
    rows.alarmAt(expires);
    changed();
  };
  // The stream as it is now, whatever its id: undefined once its retention
  // ran out (its rows go), ended `producer-lost` once its lease did.
  const live = (): StreamRow | undefined => {
    const row = rows.load();
    if (!row) return undefined;
    const now = Date.now();
    if (row.expires <= now) {
      rows.wipe();
      return undefined;
    }
    if (!row.end && row.leaseUntil <= now) finish(row, LOST, row.expires);
    return row;
  };
  // An object is named after its stream, so another id here is not a stream.
  const look = (id: string) => {
    const row = live();
    return row?.id === id ? row : undefined;
  };
  const writable = (id: string, token: string): StreamRow | StreamEnd => {
    const row = look(id);
    if (!row) return LOST;
    if (row.end) return row.end;
    if (row.token !== token) return LOST;
    return row;
  };
  const renewed = (row: StreamRow, terms: StreamTerms) => {
    const now = Date.now();
    row.leaseUntil = now + terms.lease;
    row.expires = now + Math.max(terms.retention, terms.lease);
    rows.saveProgress(row);
  };

  return {
    claim(id, terms) {
      needStreamId('claim(id)', id);
      if (live()) return undefined;
      const now = Date.now();
      const row: StreamRow = {
        id,
        epoch: newEpoch(),
        token: newEpoch() + newEpoch(),
        count: 0,
        bytes: 0,
        end: undefined,
        leaseUntil: now + terms.lease,
        expires: now + Math.max(terms.retention, terms.lease),
      };
      rows.atomically(() => rows.create(row));
      rows.alarmAt(row.leaseUntil);
      return row.token;
    },
    append(id, token, at, bodies, terms) {
      const row = writable(id, token);
      if (!('token' in row)) return { ok: false, end: row };
      need(
        Number.isSafeInteger(at) && at >= 0 && at <= row.count,
        'append(at)',
        `the count of bodies appended before, at most ${row.count}`,
        at,
        'Pass how many bodies earlier appends stored.',
      );
      need(
        Array.isArray(bodies) && bodies.every((body) => typeof body === 'string'),
        'append(bodies)',
        'an array of strings',
        bodies,
      );
      const ids: string[] = [];
      for (let n = at + 1; n <= Math.min(row.count, at + bodies.length); n++) {
        ids.push(`${row.epoch}-${n}`);
      }
      const added = bodies.slice(row.count - at);
      const sizes = added.map((body) => encoder.encode(body).length);
      const size = sizes.reduce((sum, bytes) => sum + bytes, 0);
      // A body above SQLite's row bound could not be kept either.
      if (row.bytes + size > terms.maxBytes || sizes.some((bytes) => bytes > MAX_ROW)) {
        const end: StreamEnd = { state: 'errored', reason: 'too-large' };
        finish(row, end, Date.now() + terms.retention);
        return { ok: false, end };
      }
      rows.atomically(() => {
        for (const [index, body] of added.entries()) {
          run(`INSERT INTO ${ENTRIES} VALUES (?, ?, ?)`, ++row.count, sizes[index], body);
          ids.push(`${row.epoch}-${row.count}`);
        }
        row.bytes += size;
        renewed(row, terms);
      });
      if (added.length > 0) changed();
      return { ok: true, ids };
    },
    renew(id, token, terms) {
      const row = writable(id, token);
      if (!('token' in row)) return false;
      renewed(row, terms);
      return true;
    },
    end(id, token, end, terms) {
      const row = token === undefined ? look(id) : writable(id, token);
      if (!row || !('token' in row) || row.end) return false;
      finish(row, end, Date.now() + terms.retention);
      return true;
    },
    read(id, cursor, limit) {
      const row = look(id);
      if (!row) return { state: 'unknown', entries: [] };
      const from = cursor === undefined ? 0 : counterOf(String(cursor), row.epoch);
      if (from < 0 || from > row.count) return { state: 'unknown', entries: [] };
      // The sizes first: the bodies read are the page's only.
      let bytes = 0;
      let upTo = from;
      const sizes = run(
        `SELECT n, size FROM ${ENTRIES} WHERE n > ? ORDER BY n LIMIT ?`,
        from,
        Math.min(Math.max(1, Math.floor(Number(limit)) || 1), MAX_PAGE),
      );
      for (const entry of sizes) {
        bytes += Number(entry.size);
        if (bytes > MAX_PAGE_BYTES && upTo > from) break;
        upTo = Number(entry.n);
      }
      const entries = run(
        `SELECT n, body FROM ${ENTRIES} WHERE n > ? AND n <= ? ORDER BY n`,
        from,
        upTo,
      ).map((entry) => ({ id: `${row.epoch}-${entry.n}`, body: String(entry.body) }));
      const last = upTo === row.count;
      return {
        state: row.end ? row.end.state : 'active',
        entries,
        end: last ? row.end : undefined,
        ...(entries.length < sizes.length ? { more: true as const } : {}),
      };
    },
    status(id) {
      const row = look(id);
      return row ? (row.end?.state ?? 'active') : 'unknown';
    },
    version(id) {
      const row = look(id);
      return row ? `${row.epoch}-${row.count}${row.end ? '-end' : ''}` : '';
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // The one alarm of the object: at the lease's deadline while the stream
    // is active (a later renewal moves it on from there), at its expiry
    // once it ended; then everything goes.
    async alarm() {
      const row = live();
      if (!row) {
        await storage.deleteAll?.();
        return;
      }
      rows.alarmAt(row.end ? row.expires : row.leaseUntil);
    },
  };
}
