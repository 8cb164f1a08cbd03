import { need } from '../checks.ts';
import { SSEError } from '../errors.ts';
import { isStreamId } from '../resumable/stream-id.ts';
import type { SessionEventLog } from './session-events.ts';

/**
 * The MCP TypeScript SDK's `EventStore`, written out here so that ssekit
 * needs no part of the SDK: pass a store to `StreamableHTTPServerTransport`
 * (or its web-standard twin) as `eventStore`.
 *
 * @example
 * ```ts
 * const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => sessionId, eventStore: stores.session(sessionId) });
 * ```
 */
export interface McpEventStore {
  /** Stores a JSON-RPC message of stream `streamId`; resolves with the event's id. */
  storeEvent(streamId: string, message: unknown): Promise<string>;
  /** The stream of `eventId`, or `undefined` for an id that is not this session's (the transport answers 400). */
  getStreamIdForEventId(eventId: string): Promise<string | undefined>;
  /** Sends every event of `lastEventId`'s stream after it, in order; resolves with the stream id. */
  replayEventsAfter(
    lastEventId: string,
    options: { send: (eventId: string, message: any) => Promise<void> },
  ): Promise<string>;
}

/**
 * The event stores of many sessions on one log: one store per session, and
 * the session's events deleted with it.
 *
 * @example
 * ```ts
 * const stores: McpEventStores = createMemoryEventStores();
 * onsessionclosed: (sessionId) => stores.deleteSession(sessionId);
 * ```
 */
export interface McpEventStores {
  /** The `EventStore` of session `sessionId`: it sees that session's events only. */
  session(sessionId: string): McpEventStore;
  /** Deletes every event of session `sessionId`. */
  deleteSession(sessionId: string): Promise<void>;
}

/**
 * Thrown by `replayEventsAfter` when a replay cannot finish (the store
 * failed, or `send` did): it says how far it got, so nothing is silently
 * left out. The transport answers 500 and the client resumes again.
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof McpReplayError) log.warn(`replayed ${error.sent} of ${error.streamId}`); }
 * ```
 */
export class McpReplayError extends SSEError {
  constructor(
    readonly streamId: string,
    readonly sent: number,
    cause: unknown,
  ) {
    super(
      `replayEventsAfter(): sent ${sent} events of stream ${JSON.stringify(streamId)}, then failed: ${
        (cause as Error)?.message ?? String(cause)
      }. The client may resume again from the last id it got.`,
      { cause },
    );
    this.name = 'McpReplayError';
  }
}

/** Events a replay reads at once: a replay holds one page. */
const PAGE = 100;

/**
 * The SDK's `EventStore` on one session's log (for a log of your own): stream ids
 * checked before they reach a key, messages kept as JSON text, the replay
 * page by page. A priming event (SEP-1699: an empty message, sent as `data:`
 * with no text) is stored, so its id is a cursor a client resumes from, and
 * is not sent again in a replay: as `{}` it would reach the client as a
 * message it cannot read.
 *
 * @example
 * ```ts
 * import { mcpEventStore, type SessionEventLog } from 'ssekit/mcp';
 *
 * declare const sqlLog: (sessionId: string) => SessionEventLog; // a log of your own
 * const eventStore = mcpEventStore(sqlLog(sessionId));
 * ```
 */
export function mcpEventStore(log: SessionEventLog): McpEventStore {
  // Replays of this session under way, or ended in the current task.
  let replaying = 0;
  return {
    async storeEvent(streamId, message) {
      need(
        isStreamId(streamId),
        'storeEvent(streamId)',
        'a stream id of 1 to 128 characters A-Z a-z 0-9 . _ ~ -',
        streamId,
        'Pass the transport’s stream id.',
      );
      const text = JSON.stringify(message);
      need(typeof text === 'string', 'storeEvent(message)', 'a JSON-RPC message', message);
      const id = await log.append(streamId, text);
      // The SDK's transport (1.32) makes a resumed stream the live one only
      // once replayEventsAfter has returned. An event stored after the
      // replay's last read, whose id comes back in the same task (the two
      // Redis replies in one read), would find no live stream yet and be
      // lost: in neither the replay nor the stream. During a replay the id
      // is given a task later, once the stream is registered.
      if (replaying > 0) await new Promise((resolve) => setTimeout(resolve, 0));
      return id;
    },
    async getStreamIdForEventId(eventId) {
      return ownId(eventId) ? log.streamOf(eventId) : undefined;
    },
    async replayEventsAfter(lastEventId, { send }) {
      if (!ownId(lastEventId)) return '';
      replaying++;
      try {
        return await replay(log, lastEventId, send);
      } finally {
        // Counted until the task ends: the transport registers the stream
        // in the microtasks that follow the return.
        setTimeout(() => replaying--, 0);
      }
    },
  };
}

/** Sends the events of `lastEventId`'s stream after it, page by page; resolves with the stream id ('' when unknown). */
async function replay(
  log: SessionEventLog,
  lastEventId: string,
  send: (eventId: string, message: unknown) => Promise<void>,
): Promise<string> {
  let page = await log.after(lastEventId, PAGE);
  if (!page) return '';
  const { streamId } = page;
  let sent = 0;
  try {
    for (;;) {
      for (const event of page.events) {
        if (event.message !== '{}') await send(event.id, JSON.parse(event.message));
        sent++;
      }
      if (page.last || page.events.length === 0) return streamId;
      const next = await log.after(page.events.at(-1)!.id, PAGE);
      if (!next) throw new SSEError('the events after the last one sent were trimmed meanwhile');
      page = next;
    }
  } catch (error) {
    throw new McpReplayError(streamId, sent, error);
  }
}

// An id this package could have written: a short string of 0-9 a-z and `-`.
// Anything else is unknown without asking the log.
function ownId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= 64 && /^[0-9a-z]+-[0-9]+$/.test(id);
}
