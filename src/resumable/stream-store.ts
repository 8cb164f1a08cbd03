/**
 * What a resumable stream is kept in: one log per stream id, its end an
 * entry of the log, its producer fenced by a token and a lease. The memory
 * store is in this folder; `ssekit/redis` and `ssekit/durable-objects` hold
 * the others, and all of them pass the one suite
 * (test/core/stream-store-contract.ts).
 *
 * @module
 */

/**
 * Where a stream is: still written (`active`), or how it ended. `unknown`:
 * never started, or its retention ran out.
 *
 * @example
 * ```ts
 * const state: StreamState = await streams.status(chatId); // 'active' while an answer is written
 * ```
 */
export type StreamState = 'active' | 'done' | 'stopped' | 'errored' | 'unknown';

/**
 * How a stream ended, as its last entry records it. `reason` is one of the
 * store's short codes, never an error's message (that could hold internal
 * text): `'producer-error'` (the producer threw, or the store refused
 * its chunks), `'producer-lost'` (its lease ran out: the process died),
 * `'producer-idle'` (its source was silent past `idleTimeout`),
 * `'too-large'` (past the stream's byte bound). Readers may also be told
 * `'unavailable'`, which no store records: the store could not be read
 * for longer than the reader waits, or the stream expired under it.
 *
 * @example
 * ```ts
 * const end: StreamEnd = { state: 'errored', reason: 'producer-lost' };
 * ```
 */
export interface StreamEnd {
  readonly state: 'done' | 'stopped' | 'errored';
  readonly reason?:
    | 'producer-error'
    | 'producer-lost'
    | 'producer-idle'
    | 'too-large'
    | 'unavailable'
    | undefined;
}

/**
 * One chunk of a stream: the id the store gave it, and its wire text
 * without the `id` line (one message, lines ending in LF, the last blank).
 *
 * @example
 * ```ts
 * const entry: StreamEntry = { id: '0k3f9x2m1z7abq-3', body: 'data: {"delta":"Hel"}\n\n' };
 * ```
 */
export interface StreamEntry {
  readonly id: string;
  readonly body: string;
}

/**
 * What a claim asks for: how long the producer's lease lasts without a
 * renewal, how many bytes the stream may hold, how long it is kept after
 * its end.
 *
 * @example
 * ```ts
 * const terms: StreamTerms = { lease: 15_000, maxBytes: 4 << 20, retention: 86_400_000 };
 * ```
 */
export interface StreamTerms {
  /** Milliseconds the producer holds the stream after its last append or renewal. */
  readonly lease: number;
  /** Bytes of bodies the stream holds at most; an append past it ends it, `errored`, `too-large`. */
  readonly maxBytes: number;
  /** Milliseconds the stream is kept after its end (and after its last write while active). */
  readonly retention: number;
}

/**
 * What an append did: the ids of the bodies, in order, or why nothing was
 * appended: the stream has ended (stopped, or declared lost), the token is
 * not the producer's, or the bodies would pass `maxBytes` (the store then
 * ends the stream `errored`, `too-large`).
 *
 * @example
 * ```ts
 * const result = await store.append(id, token, 0, ['data: hi\n\n'], terms);
 * if (!result.ok) controller.abort(); // stopped from elsewhere: stop generating
 * ```
 */
export type AppendResult =
  | { readonly ok: true; readonly ids: readonly string[] }
  | { readonly ok: false; readonly end: StreamEnd };

/**
 * One page of a read: the entries after the cursor, in order, and the end
 * when the page reaches it.
 *
 * @example
 * ```ts
 * const page = await store.read(id, undefined, 256);
 * if (page.state === 'unknown') return new Response(null, { status: 204 });
 * ```
 */
export interface StreamPage {
  /** `unknown` when the id is not a stream (or expired), or the cursor is not one of its ids. */
  readonly state: StreamState;
  readonly entries: readonly StreamEntry[];
  /** Set when the page holds the last entry and the stream has ended. */
  readonly end?: StreamEnd | undefined;
}

/**
 * What a store's `watch` calls after a change: with what changed when the
 * store knows (`'entries'`: an append; `'end'`: the end entry), so a
 * producer need not look again after each of its own appends; and with the
 * entries appended when it has them at hand (a small append on Redis), so a
 * reader at the tip takes them without a read. A reader takes such entries
 * only when their ids continue its cursor, and reads otherwise.
 *
 * @example
 * ```ts
 * store.watch(id, (change, entries) => change === 'end' && console.log('ended'));
 * ```
 */
export type StreamWatcher = (change?: 'entries' | 'end', entries?: readonly StreamEntry[]) => void;

/**
 * The storage of resumable streams. Each stream id has its own log; the
 * store promises, and test/core/stream-store-contract.ts checks on every
 * store of this package:
 * - `claim` is atomic: of any number of claims of one id, on any instance,
 *   one gets a token and the others `undefined`. A claimed stream is
 *   `active` until it ends; an id once claimed stays taken until its
 *   retention runs out (ended or not): an id names one answer.
 * - `append` stores the bodies in order, once each (`at` says where they
 *   start: of an append retried after a lost reply, only what is missing is
 *   added, and the ids of all are given), only while the token is the
 *   stream's and the stream has not ended, renews the lease, and gives each
 *   body an id `<epoch>-<n>` (the epoch new per claim: an id of another
 *   stream, or of this id's earlier life, is not this stream's). A stale
 *   token (a producer whose stream was declared lost or stopped) appends
 *   nothing, ever.
 * - The end is an entry: `end` writes it once (later calls change nothing
 *   and answer `false`), after every body appended before it and before
 *   any after it (which are refused). `end` without a token (a stop from
 *   anywhere) ends an active stream whoever holds it.
 * - A lease that runs out ends the stream `errored`, `producer-lost`, at the
 *   latest at the first `read` or `status` after it ran out: a reader never
 *   waits for a producer that is gone.
 * - `read` gives the entries strictly after `cursor` (from the first when
 *   `undefined`), at most `limit`, in order, none missing, none twice, and
 *   the end once the page reaches it. It reads this stream's entries only.
 * - `watch` calls its listener soon after the stream changes (an append,
 *   the end). A call may be lost (a dropped connection) or spurious; readers
 *   read again on their own every so often, so a lost call delays them and
 *   never loses anything.
 * - Bounds: a stream holds at most `terms.maxBytes`; it is gone
 *   `terms.retention` after its end, or after its last write while active.
 *
 * @example
 * ```ts
 * const token = await store.claim('chat-8f3a', terms);
 * if (token) {
 *   await store.append('chat-8f3a', token, 0, ['data: Hello\n\n'], terms);
 *   await store.end('chat-8f3a', token, { state: 'done' }, terms);
 * }
 * ```
 */
export interface StreamStore {
  /** Claims `id` for a producer: its token, or `undefined` when the id is taken. */
  claim(id: string, terms: StreamTerms): Promise<string | undefined>;
  /**
   * Appends bodies as the producer holding `token`, renewing its lease. `at`
   * is how many bodies the stream held before them: a retry of an append
   * whose reply was lost adds only what is not there yet.
   */
  append(
    id: string,
    token: string,
    at: number,
    bodies: readonly string[],
    terms: StreamTerms,
  ): Promise<AppendResult>;
  /** Renews the lease: `false` when the stream is no longer the token's to write (ended). */
  renew(id: string, token: string, terms: StreamTerms): Promise<boolean>;
  /** Writes the end entry: `true` when this call ended the stream. No token: a stop from anywhere. */
  end(id: string, token: string | undefined, end: StreamEnd, terms: StreamTerms): Promise<boolean>;
  /** A page of entries after `cursor` (from the start when `undefined`), `limit` at most. */
  read(id: string, cursor: string | undefined, limit: number): Promise<StreamPage>;
  /** Where the stream is. */
  status(id: string): Promise<StreamState>;
  /** Calls `listener` soon after the stream changes ({@link StreamWatcher}); returns a function that stops it. */
  watch(id: string, listener: StreamWatcher): () => void;
  /** Releases what the store holds (connections, timers). */
  close?(): void | Promise<void>;
}
