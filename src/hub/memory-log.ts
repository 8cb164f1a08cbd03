import { _isCount, _need } from './errors.ts';
import { _matches, type HubEntry, type HubLog, type HubReplay, hubEntry } from './log.ts';

/**
 * Bounds of the in-memory log.
 *
 * @example
 * ```ts
 * createMemoryLog({ maxEntries: 10_000, maxAge: 10 * 60_000 });
 * ```
 */
export interface MemoryLogOptions {
  /** Entries kept for replay; older ones are dropped. Default 1000. */
  maxEntries?: number;
  /** Milliseconds an entry is kept for replay. Default: no age bound. */
  maxAge?: number;
}

/**
 * The hub's default log: a ring of the latest entries in this process,
 * bounded by count and by age. Ids are `<epoch>-<n>`: the epoch is new for
 * every log, so an id from another process or from before a restart is
 * recognised as unknown (the client is told to reset) instead of being
 * mistaken for a position in this history. Old entries go when new ones come
 * or when a replay looks at them: no timer.
 *
 * @example
 * ```ts
 * const hub = createHub({ log: createMemoryLog({ maxEntries: 10_000, maxAge: 5 * 60_000 }) });
 * ```
 */
export function createMemoryLog(options: MemoryLogOptions = {}): HubLog {
  _need(
    typeof options === 'object' && options !== null,
    'The memory log options must be an object',
    options,
  );
  const { maxEntries = 1000, maxAge = Number.POSITIVE_INFINITY } = options;
  _need(_isCount(maxEntries), 'maxEntries must be a whole number above 0', maxEntries);
  _need(
    typeof maxAge === 'number' && maxAge > 0,
    'maxAge must be a number of milliseconds above 0',
    maxAge,
  );
  const epoch = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
  // entries[n % maxEntries] holds entry n; entries first..last are kept.
  const entries: (HubEntry | undefined)[] = [];
  const times: number[] = [];
  let first = 1;
  let last = 0;
  const listeners = new Set<(entry: HubEntry) => void>();

  const dropFirst = () => {
    entries[first++ % maxEntries] = undefined;
  };
  const evictOld = (now: number) => {
    while (first <= last && now - times[first % maxEntries]! > maxAge) dropFirst();
  };
  // The sequence number of one of our ids, or -1 for anyone else's.
  const seq = (id: string) => {
    const dash = id.lastIndexOf('-');
    const n = Number(id.slice(dash + 1));
    return id.slice(0, dash) === epoch && Number.isSafeInteger(n) && n >= 0 ? n : -1;
  };

  return {
    append(topics, body) {
      const now = Date.now();
      const id = epoch + '-' + ++last;
      const entry = hubEntry(id, topics, body);
      // The new entry takes the oldest one's slot when the ring is full.
      if (last - first === maxEntries) dropFirst();
      entries[last % maxEntries] = entry;
      times[last % maxEntries] = now;
      evictOld(now);
      for (const listener of listeners) listener(entry);
      return id;
    },
    follow(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read(cursor, topics): HubReplay {
      evictOld(Date.now());
      const head = last > 0 ? epoch + '-' + last : undefined;
      const from = seq(cursor);
      // Entries first-1 and before are gone: a cursor before that has missed some.
      if (from < first - 1 || from > last) return { entries: [], tooOld: true, head };
      const found: HubEntry[] = [];
      for (let n = from + 1; n <= last; n++) {
        const entry = entries[n % maxEntries]!;
        if (_matches(entry, topics)) found.push(entry);
      }
      return { entries: found, tooOld: false, head };
    },
    compare: (a, b) => seq(a) - seq(b),
    close() {
      listeners.clear();
    },
  };
}
