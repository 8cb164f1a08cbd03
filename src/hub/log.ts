import { isObject, need, needCount } from '../checks.ts';
import { SSEOptionError } from '../errors.ts';
import { type EncodedMessage, fromWireText } from '../wire/encoded.ts';

/**
 * One message in a hub's log: its id, the topics it was published to, and
 * its wire bytes (the `id:` line included), shared by every subscriber.
 *
 * @example
 * ```ts
 * log.follow((entry) => console.log(entry.id, entry.topics, entry.message.text));
 * ```
 */
export interface HubEntry {
  /** Assigned by the log; ids increase in the order the log delivers them. */
  readonly id: string;
  /** The topics the message was published to, each once. */
  readonly topics: readonly string[];
  /** The encoded message, `id` field included: the bytes every subscriber gets. */
  readonly message: EncodedMessage;
}

/**
 * How much one page of a replay may hold: the subscriber's queue bounds
 * (`maxQueued`, `maxQueuedBytes`), so a replay pins no more memory than a
 * full queue does.
 *
 * @example
 * ```ts
 * const page = await log.read(lastEventId, new Set(['news']), { entries: 1000, bytes: 1 << 20 });
 * ```
 */
export interface HubPageLimits {
  /** Entries a page holds at most. */
  readonly entries: number;
  /**
   * Bytes (of the entries' messages) a page holds at most; the entry that
   * reaches the bound is the page's last. A page holds at least one entry
   * when there is one, however large.
   */
  readonly bytes: number;
}

/**
 * One page of a replay: what a log answers when a subscriber resumes from a
 * cursor.
 *
 * @example
 * ```ts
 * const { entries, tooOld, head, next } = await log.read(lastEventId, topics, limits);
 * if (next !== undefined) await log.read(next, topics, limits); // the page after it
 * ```
 */
export interface HubPage {
  /** Entries after the cursor for any of the subscriber's topics, in id order, within the limits. */
  entries: HubEntry[];
  /**
   * `true` when the log cannot tell what came after the cursor: entries after
   * it were trimmed away, or the id is not one of this log's (another log's,
   * another process's, another shard's or key's, storage deleted and made
   * again, a made-up or out-of-range id).
   * `entries` and `next` are then ignored.
   */
  tooOld: boolean;
  /** The newest id in the log, if any: where a client told `tooOld` resumes. */
  head?: string | undefined;
  /**
   * Where the next page starts, when this one stopped before the newest
   * entry: the id of the last entry the log looked at (matching or not),
   * passed as the next `read`'s cursor. Absent when the page reached the
   * newest entry: the replay is complete. A page may be empty and still have
   * a `next` (a log that bounds the entries it scans per call).
   */
  next?: string | undefined;
}

/**
 * Where a hub keeps its history and learns of new messages. The in-memory
 * ring (`createMemoryLog`) is the default; `ssekit/redis` shares one log
 * between processes. Implement it to put replay on another store.
 *
 * What a log promises (the suite test/core/hub-log-contract.ts checks every
 * log of this package against each point, and runs on any other):
 * - Ids increase in the order entries are appended, across all topics (a
 *   subscriber of several topics resumes from its one `Last-Event-ID`),
 *   and `compare` orders them so.
 * - Ids are its own: each carries the identity of the log's history (an
 *   epoch of random bits, `newEpoch()`, kept with the storage and made
 *   again when the storage is, as `<epoch>-<n>`), so `read` answers
 *   `tooOld`, with its head, for an id of another log (another process,
 *   shard, object, key or server), of storage that was deleted and made
 *   again, or one it never wrote (made up, malformed, or past its newest):
 *   a counter or a time alone would land such an id somewhere in this
 *   history, and the client would miss what lies between. Ids are short
 *   and valid SSE ids (no CR, LF or NUL).
 * - `read` answers from the log as it is at the time of the call: every
 *   entry after the cursor for the topics asked, up to the newest, in
 *   order, none missing and none twice, page by page within the limits
 *   ({@link HubPage}), or `tooOld`. Entries appended after the call come
 *   through `follow` only, and an entry may come both ways (the hub drops
 *   the duplicate).
 * - Its bounds (count, bytes, age: {@link LogBounds}, or a store's own
 *   trimming) drop the oldest entries first; a cursor whose successors
 *   were dropped gets `tooOld`, never a replay with a gap. The cursor of
 *   the last entry dropped still replays: nothing after it is missing.
 * - `follow` delivers every entry appended from the call on, by this
 *   instance or any other on the same storage, each once, in id order,
 *   with the bytes `read` gives; the function it returns stops that
 *   listener, and `close` stops them all.
 * - Nothing throws into the hub: `follow` reports its own failures (a lost
 *   connection, an entry it cannot read) and keeps going; `append` and
 *   `read` reject.
 *
 * What the hub calls, and when:
 * - `follow` once, when it is created; the function it returns on `close`.
 * - `append` on every `publish`.
 * - `read(lastEventId, topics, limits)` when a subscriber arrives with a
 *   cursor, after it is registered for live entries; then
 *   `read(page.next, …)` only once the subscriber has taken every entry of
 *   the page before, so a client that stops reading holds one page at most.
 * - `compare` to drop live entries a replay already delivered.
 * - `close` last, after every subscription ended.
 *
 * @example
 * ```ts
 * const hub = createHub({ log: createMemoryLog({ maxEntries: 5_000, maxAge: 60_000 }) });
 * ```
 */
export interface HubLog {
  /**
   * Stores `body` (a message's wire text without `id`) for `topics` and
   * returns the id it assigned. The entry reaches subscribers through
   * `follow`, not through this call.
   */
  append(topics: readonly string[], body: string): string | Promise<string>;
  /**
   * Calls `listener` with every entry appended from now on, by this process
   * or any other, in id order. Returns a function that stops it.
   */
  follow(listener: (entry: HubEntry) => void): () => void;
  /** One page of the entries after `cursor` for any of `topics`, within `limits`. */
  read(
    cursor: string,
    topics: ReadonlySet<string>,
    limits: HubPageLimits,
  ): HubPage | Promise<HubPage>;
  /** Orders two ids of this log: negative when `a` came first, 0 when equal. */
  compare(a: string, b: string): number;
  /** Releases what the log holds (connections, listeners): no listener is called after it. */
  close?(): void | Promise<void>;
}

/**
 * Builds a {@link HubEntry} from an id and a message's wire text without its
 * id: the bytes are encoded here, once per process. For implementers of
 * {@link HubLog}. `body` must be what the log's `append` received: one
 * message, lines ending in LF, no CR, no `id` field, the last line blank.
 * Anything else (text that would end the message early, start another or
 * change its id), and an `id` with CR, LF or NUL, throws `SSEOptionError`.
 *
 * @example
 * ```ts
 * const entry = hubEntry('0k3f9x2m1z7abq-1', ['news'], 'data: hello\n\n');
 * entry.message.text; // 'id: 0k3f9x2m1z7abq-1\ndata: hello\n\n'
 * ```
 */
export function hubEntry(id: string, topics: readonly string[], body: string): HubEntry {
  const text = 'id: ' + id + '\n' + body;
  // One message, its id line first and alone: LF line ends only (a CR would
  // end a line the parser sees), no second id line, and the first blank line
  // is the last (an earlier one would dispatch, and start another message).
  if (/[\n\0]/.test(id) || /\r|\nid[:\n]/.test(text) || text.indexOf('\n\n') !== text.length - 2) {
    throw new SSEOptionError(
      "hubEntry(): expected an id without CR, LF or NUL and one message's text, got other text. Pass the body append() received.",
    );
  }
  return { id, topics, message: fromWireText(text) };
}

/**
 * How much history a log keeps for replay: the bounds of `createMemoryLog`
 * and of the durable log of `ssekit/durable-objects`.
 *
 * @example
 * ```ts
 * const bounds: LogBounds = { maxEntries: 10_000, maxBytes: 64 << 20, maxAge: 10 * 60_000 };
 * ```
 */
export interface LogBounds {
  /** Entries kept for replay; older ones are dropped. Default 1000. */
  maxEntries?: number;
  /** Bytes of messages kept for replay; older ones are dropped. Default 16 MiB. */
  maxBytes?: number;
  /** Milliseconds an entry is kept for replay. Default: no age bound. */
  maxAge?: number;
}

/**
 * The bounds of a log, checked, with the defaults filled in: 1000 entries,
 * 16 MiB, no age bound. For implementers of {@link HubLog} that take
 * {@link LogBounds} as `createMemoryLog` does: one meaning and one set of
 * checks for every log's options. `what` names the options in the message
 * of the `SSEOptionError` it throws (not an object, a count that is not a
 * whole number above 0, an age that is not above 0).
 *
 * @example
 * ```ts
 * import { type HubLog, type LogBounds, logBounds } from 'ssekit/hub';
 *
 * function createSqlLog(options: LogBounds = {}): Partial<HubLog> {
 *   const { maxEntries, maxBytes, maxAge } = logBounds('createSqlLog(options)', options);
 *   // … delete the oldest rows past maxEntries or maxBytes, or older than maxAge ms
 *   return {};
 * }
 * ```
 */
export function logBounds(what: string, options: LogBounds): Required<LogBounds> {
  need(isObject(options), what, 'an object', options);
  const {
    maxEntries = 1000,
    maxBytes = 16 * 1024 * 1024,
    maxAge = Number.POSITIVE_INFINITY,
  } = options;
  needCount('maxEntries', maxEntries);
  needCount('maxBytes', maxBytes);
  need(
    typeof maxAge === 'number' && maxAge > 0,
    'maxAge',
    'a number of milliseconds above 0',
    maxAge,
  );
  return { maxEntries, maxBytes, maxAge };
}

/** @internal True when `entry` was published to one of `topics`. */
export function matches(entry: HubEntry, topics: ReadonlySet<string>): boolean {
  for (const topic of entry.topics) if (topics.has(topic)) return true;
  return false;
}
