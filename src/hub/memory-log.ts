import { counterOf, newEpoch } from './epoch.ts';
import {
  type HubEntry,
  type HubLog,
  type HubPage,
  hubEntry,
  type LogBounds,
  logBounds,
  matches,
} from './log.ts';

/**
 * Bounds of the in-memory log.
 *
 * @example
 * ```ts
 * createMemoryLog({ maxEntries: 10_000, maxBytes: 64 << 20, maxAge: 10 * 60_000 });
 * ```
 */
export interface MemoryLogOptions extends LogBounds {}

/**
 * The hub's default log: a ring of the latest entries in this process,
 * bounded by count, bytes and age. Ids are `<epoch>-<n>`: the epoch is 64
 * random bits, new for every log (made at its first append), so an id from
 * another log, another process or from before a restart is recognised as
 * unknown (the client is told to reset) instead of being mistaken for a
 * position in this history; so is any id this log would not have written
 * (`<epoch>-0x2`, `<epoch>-2e0`, `<epoch>-`). Old entries go
 * when new ones come or when a replay looks at them: no timer. Each entry is
 * kept once, as the bytes every subscriber gets; a replay reads it page by
 * page, in place.
 *
 * @example
 * ```ts
 * const hub = createHub({ log: createMemoryLog({ maxEntries: 10_000, maxAge: 5 * 60_000 }) });
 * ```
 */
export function createMemoryLog(options: MemoryLogOptions = {}): HubLog {
  const { maxEntries, maxBytes, maxAge } = logBounds('createMemoryLog(options)', options);
  // Made at the first append: a hub may be created at a module's top level,
  // where workerd gives no random values. Until then no id is this log's.
  let epoch: string | undefined;
  // entries[n % maxEntries] holds entry n; entries first..last are kept.
  const entries: (HubEntry | undefined)[] = [];
  const times: number[] = [];
  let first = 1;
  let last = 0;
  let bytes = 0;
  const listeners = new Set<(entry: HubEntry) => void>();

  const dropFirst = () => {
    const slot = first++ % maxEntries;
    bytes -= entries[slot]!.message.bytes.length;
    entries[slot] = undefined;
  };
  const evictOld = (now: number) => {
    while (first <= last && now - times[first % maxEntries]! > maxAge) dropFirst();
  };
  // The sequence number of one of our ids, or -1 for anyone else's.
  const seq = (id: string) => counterOf(id, epoch);

  return {
    append(topics, body) {
      const now = Date.now();
      epoch ??= newEpoch();
      const id = epoch + '-' + ++last;
      const entry = hubEntry(id, topics, body);
      // The new entry takes the oldest one's slot when the ring is full.
      if (last - first === maxEntries) dropFirst();
      entries[last % maxEntries] = entry;
      times[last % maxEntries] = now;
      bytes += entry.message.bytes.length;
      // Even the new entry goes when it alone is above the bound: a cursor
      // before it then gets a reset, as for any entry that was dropped.
      while (bytes > maxBytes) dropFirst();
      evictOld(now);
      for (const listener of listeners) listener(entry);
      return id;
    },
    follow(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read(cursor, topics, limits): HubPage {
      evictOld(Date.now());
      const head = last > 0 ? epoch + '-' + last : undefined;
      const from = seq(cursor);
      // Entries first-1 and before are gone: a cursor before that has missed some.
      if (from < first - 1 || from > last) return { entries: [], tooOld: true, head };
      const found: HubEntry[] = [];
      let size = 0;
      for (let n = from + 1; n <= last; n++) {
        const entry = entries[n % maxEntries]!;
        if (!matches(entry, topics)) continue;
        found.push(entry);
        size += entry.message.bytes.length;
        if ((found.length >= limits.entries || size >= limits.bytes) && n < last) {
          return { entries: found, tooOld: false, head, next: entry.id };
        }
      }
      return { entries: found, tooOld: false, head };
    },
    compare: (a, b) => seq(a) - seq(b),
    close() {
      listeners.clear();
    },
  };
}
