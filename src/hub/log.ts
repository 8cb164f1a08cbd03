import { EncodedMessage } from '../wire/encoded.ts';

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
 * What a log answers when a subscriber resumes from a cursor.
 *
 * @example
 * ```ts
 * const { entries, tooOld, head } = await log.read(lastEventId, new Set(['news']));
 * ```
 */
export interface HubReplay {
  /** The entries after the cursor for any of the subscriber's topics, in id order. */
  entries: HubEntry[];
  /**
   * `true` when the log cannot tell what came after the cursor: entries after
   * it were trimmed away, or the id is not one of this log's (another
   * process's memory log, a deleted stream, a made-up id).
   */
  tooOld: boolean;
  /** The newest id in the log, if any: where a client told `tooOld` resumes. */
  head?: string | undefined;
}

/**
 * Where a hub keeps its history and learns of new messages. The in-memory
 * ring (`createMemoryLog`) is the default; `ssekit/redis` shares one log
 * between processes. Implement it to put replay on another store.
 *
 * Ids must order across all topics: a subscriber of several topics resumes
 * from its one `Last-Event-ID`.
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
  /** The entries after `cursor` for any of `topics`. */
  read(cursor: string, topics: ReadonlySet<string>): HubReplay | Promise<HubReplay>;
  /** Orders two ids of this log: negative when `a` came first, 0 when equal. */
  compare(a: string, b: string): number;
  /** Releases what the log holds (connections, listeners). */
  close?(): void | Promise<void>;
}

/**
 * Builds a {@link HubEntry} from an id and a message's wire text without its
 * id: the bytes are encoded here, once per process. For implementers of
 * {@link HubLog}.
 *
 * @example
 * ```ts
 * const entry = hubEntry('1700000000000-0', ['news'], 'data: hello\n\n');
 * entry.message.text; // 'id: 1700000000000-0\ndata: hello\n\n'
 * ```
 */
export function hubEntry(id: string, topics: readonly string[], body: string): HubEntry {
  return { id, topics, message: new EncodedMessage('id: ' + id + '\n' + body) };
}

/** True when `entry` was published to one of `topics`. */
export function _matches(entry: HubEntry, topics: ReadonlySet<string>): boolean {
  for (const topic of entry.topics) if (topics.has(topic)) return true;
  return false;
}
