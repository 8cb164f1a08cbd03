/**
 * One MCP session's events in a log: what the memory, Redis and Durable
 * Object stores of this package implement, and `mcpEventStore` turns into
 * the SDK's `EventStore`. The suite test/core/session-events-contract.ts
 * checks each against the points below.
 *
 * @module
 */

/**
 * One stored event: its id and the JSON text of its message.
 *
 * @example
 * ```ts
 * const event: SessionEvent = { id: '0k3f9x2m1z7abq4h8s1d9e0r2t6y-7', message: '{"jsonrpc":"2.0","method":"notifications/progress"}' };
 * ```
 */
export interface SessionEvent {
  readonly id: string;
  readonly message: string;
}

/**
 * The events after a cursor: the cursor's stream, and a page of that
 * stream's later events, in order.
 *
 * @example
 * ```ts
 * const page = await log.after(lastEventId, 100);
 * if (page) for (const event of page.events) await send(event.id, JSON.parse(event.message));
 * ```
 */
export interface SessionEventPage {
  readonly streamId: string;
  readonly events: readonly SessionEvent[];
  /** `true` when the page reaches the stream's newest event. */
  readonly last: boolean;
}

/**
 * One session's events, kept by a log. What a log promises:
 * - Ids are its own and unguessable: each carries the session's epoch (128
 *   random bits, made when the session's storage is, kept with it) and a
 *   counter, `<epoch>-<n>`. An id of another session, another store, of
 *   storage deleted and made again, or made up is unknown: `streamOf`
 *   answers `undefined` and `after` `undefined`. Nothing is found by
 *   splitting an id.
 * - `after(id, limit)` gives the events of `id`'s stream strictly after
 *   it, in the order appended, all of them page by page, none of another
 *   stream; `undefined` when `id` is unknown or its event was trimmed.
 * - Bounds by count, bytes and age drop the session's oldest events first;
 *   `delete` drops them all (and the epoch: ids from before are unknown).
 * - Stream ids and messages are checked by `mcpEventStore` before they
 *   reach a log: a stream id is 1 to 128 characters of
 *   `A-Z a-z 0-9 . _ ~ -`, a message JSON text.
 *
 * @example
 * ```ts
 * const log: SessionEventLog = memoryStores.log('session-1');
 * const id = await log.append('_GET_stream', '{"jsonrpc":"2.0","method":"ping"}');
 * ```
 */
export interface SessionEventLog {
  /** Stores `message` (JSON text) on stream `streamId`; resolves with its id. */
  append(streamId: string, message: string): Promise<string>;
  /** The stream of event `eventId`, or `undefined` for an id that is not this session's. */
  streamOf(eventId: string): Promise<string | undefined>;
  /** A page of the events of `eventId`'s stream after it, `limit` at most; `undefined` when unknown. */
  after(eventId: string, limit: number): Promise<SessionEventPage | undefined>;
  /** Deletes every event of the session. */
  delete(): Promise<void>;
}
