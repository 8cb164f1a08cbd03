import { isObject, need, needCount } from '../checks.ts';
import { SSEError } from '../errors.ts';
import { counterOf, newEpoch } from '../hub/epoch.ts';
import { utf8Length } from '../wire/bytes.ts';
import { needStreamId } from './stream-id.ts';
import type {
  AppendResult,
  StreamEnd,
  StreamEntry,
  StreamPage,
  StreamState,
  StreamStore,
  StreamTerms,
} from './stream-store.ts';

/**
 * Bounds of {@link createMemoryStreamStore}, across all its streams.
 *
 * @example
 * ```ts
 * createMemoryStreamStore({ maxStreams: 1000, maxBytes: 256 << 20 });
 * ```
 */
export interface MemoryStreamStoreOptions {
  /** Streams kept at once, active or ended. Default 10,000. */
  maxStreams?: number;
  /** Bytes of bodies kept across all streams. Default 64 MiB. */
  maxBytes?: number;
}

/**
 * Thrown by a store's `claim` when it is full of active streams: the
 * request that started one answers 503. Raise the store's bounds, or shorten
 * the streams' retention.
 *
 * @example
 * ```ts
 * try { return await streams.start(id, produce); }
 * catch (error) { if (error instanceof StreamStoreFullError) return new Response(null, { status: 503 }); throw error; }
 * ```
 */
export class StreamStoreFullError extends SSEError {
  constructor(what: string) {
    super(
      `${what}: the store holds as many active streams or bytes as its bounds allow. Raise maxStreams or maxBytes, or try again later.`,
    );
    this.name = 'StreamStoreFullError';
  }
}

interface Kept {
  readonly epoch: string;
  readonly token: string;
  /** The bodies; entry n (from 1) is bodies[n - 1], its id `<epoch>-<n>`. */
  readonly bodies: string[];
  /** What the stream costs the store: its bodies' bytes and ENTRY_COST each. */
  bytes: number;
  retention: number;
  end?: StreamEnd | undefined;
  leaseUntil: number;
  expires: number;
  readonly listeners: Set<(change?: 'entries' | 'end') => void>;
}

// What an entry costs beside its body (the array slot, the string's header),
// counted against the store's byte bound so that many tiny chunks are bounded
// too. A stream's own bound (`terms.maxBytes`) counts bodies only, as every
// store's does.
const ENTRY_COST = 48;

/**
 * Resumable streams in this process's memory: for one server, tests, and
 * the Node, Deno and Bun quick starts. Bounded across all streams (count and
 * bytes); when full, ended streams go first, oldest first; a claim that
 * still finds no room throws {@link StreamStoreFullError}. Nothing here
 * outlives the process: use `ssekit/redis` or `ssekit/durable-objects` for
 * streams that must survive a restart or be read from another instance.
 *
 * @example
 * ```ts
 * const streams = createResumableStreams({ store: createMemoryStreamStore() });
 * ```
 */
export function createMemoryStreamStore(options: MemoryStreamStoreOptions = {}): StreamStore {
  need(isObject(options), 'createMemoryStreamStore(options)', 'an object', options);
  const { maxStreams = 10_000, maxBytes = 64 * 1024 * 1024 } = options;
  needCount('maxStreams', maxStreams);
  needCount('maxBytes', maxBytes);
  const streams = new Map<string, Kept>();
  let bytes = 0;

  const drop = (id: string, kept: Kept) => {
    streams.delete(id);
    bytes -= kept.bytes;
  };
  const changed = (kept: Kept, change: 'entries' | 'end') => {
    for (const listener of kept.listeners) queueMicrotask(() => listener(change));
  };
  const finish = (kept: Kept, end: StreamEnd, at = Date.now()) => {
    kept.end = end;
    kept.expires = at + kept.retention;
    changed(kept, 'end');
  };
  // The stream as it is now: undefined once its retention ran out; ended
  // `producer-lost` once its lease did.
  const look = (id: string): Kept | undefined => {
    const kept = streams.get(id);
    if (!kept) return undefined;
    const now = Date.now();
    // The lease first: a producer lost is an end, kept for the retention
    // from when its lease ran out.
    if (!kept.end && kept.leaseUntil <= now) {
      finish(kept, { state: 'errored', reason: 'producer-lost' }, kept.leaseUntil);
    }
    if (kept.expires <= now) {
      drop(id, kept);
      return undefined;
    }
    return kept;
  };
  // Room for `more` bytes (and a stream when `stream`), by dropping what
  // expired, then ended streams, oldest first.
  const makeRoom = (more: number, stream: boolean) => {
    const full = () => bytes + more > maxBytes || (stream && streams.size >= maxStreams);
    if (!full()) return true;
    for (const id of [...streams.keys()]) look(id);
    for (const [id, kept] of streams) {
      if (!full()) break;
      if (kept.end) drop(id, kept);
    }
    return !full();
  };
  const writable = (id: string, token: string): Kept | StreamEnd => {
    const kept = look(id);
    if (!kept) return { state: 'errored', reason: 'producer-lost' };
    if (kept.end) return kept.end;
    if (kept.token !== token) return { state: 'errored', reason: 'producer-lost' };
    return kept;
  };
  const renewed = (kept: Kept, terms: StreamTerms) => {
    kept.leaseUntil = Date.now() + terms.lease;
    kept.retention = terms.retention;
    kept.expires = kept.leaseUntil + terms.retention;
  };

  return {
    async claim(id, terms) {
      needStreamId('claim(id)', id);
      if (look(id)) return undefined;
      if (!makeRoom(0, true)) throw new StreamStoreFullError('claim()');
      const token = newEpoch() + newEpoch();
      const kept: Kept = {
        epoch: newEpoch(),
        token,
        bodies: [],
        bytes: 0,
        retention: terms.retention,
        leaseUntil: 0,
        expires: 0,
        listeners: new Set(),
      };
      renewed(kept, terms);
      streams.set(id, kept);
      return token;
    },
    async append(id, token, at, bodies, terms): Promise<AppendResult> {
      const kept = writable(id, token);
      if (!('token' in kept)) return { ok: false, end: kept };
      const count = kept.bodies.length;
      need(
        Number.isSafeInteger(at) && at >= 0 && at <= count,
        'append(at)',
        `the count of bodies appended before, at most ${count}`,
        at,
        'Pass how many bodies earlier appends stored.',
      );
      // Of an append retried after a lost reply, only what is not there yet.
      const fresh = bodies.slice(count - at);
      let size = 0;
      for (const body of fresh) size += utf8Length(body);
      const cost = size + fresh.length * ENTRY_COST;
      if (kept.bytes - count * ENTRY_COST + size > terms.maxBytes || !makeRoom(cost, false)) {
        const end: StreamEnd = { state: 'errored', reason: 'too-large' };
        finish(kept, end);
        return { ok: false, end };
      }
      kept.bodies.push(...fresh);
      kept.bytes += cost;
      bytes += cost;
      renewed(kept, terms);
      if (fresh.length > 0) changed(kept, 'entries');
      const ids: string[] = [];
      for (let n = at + 1; n <= at + bodies.length; n++) ids.push(kept.epoch + '-' + n);
      return { ok: true, ids };
    },
    async renew(id, token, terms) {
      const kept = writable(id, token);
      if (!('token' in kept)) return false;
      renewed(kept, terms);
      return true;
    },
    async end(id, token, end, terms) {
      const kept = token === undefined ? look(id) : writable(id, token);
      if (!kept || !('token' in kept) || kept.end) return false;
      kept.retention = terms.retention;
      finish(kept, end);
      return true;
    },
    async read(id, cursor, limit): Promise<StreamPage> {
      const kept = look(id);
      if (!kept) return { state: 'unknown', entries: [] };
      const count = kept.bodies.length;
      const from = cursor === undefined ? 0 : counterOf(cursor, kept.epoch);
      if (from < 0 || from > count) return { state: 'unknown', entries: [] };
      const entries: StreamEntry[] = [];
      for (let n = from; n < count && entries.length < limit; n++) {
        entries.push({ id: kept.epoch + '-' + (n + 1), body: kept.bodies[n]! });
      }
      return {
        state: kept.end ? kept.end.state : 'active',
        entries,
        end: from + entries.length === count ? kept.end : undefined,
      };
    },
    async status(id) {
      const kept = look(id);
      return kept ? (kept.end?.state ?? 'active') : ('unknown' as StreamState);
    },
    watch(id, listener) {
      const kept = look(id);
      if (!kept) return () => {};
      kept.listeners.add(listener);
      return () => kept.listeners.delete(listener);
    },
  };
}
