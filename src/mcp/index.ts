/**
 * ssekit/mcp: event stores for the MCP TypeScript SDK's Streamable HTTP
 * transport, so a cut SSE stream resumes with `Last-Event-ID`. One store
 * per session, which sees that session's events only, with ids no one can
 * guess; in memory here, on Redis in `ssekit/redis`, in a Durable Object in
 * `ssekit/durable-objects`. No part of the SDK is imported: the types are
 * written out.
 *
 * @module
 */

export { SSEError, SSEOptionError } from '../errors.ts';
export {
  type McpEventStore,
  type McpEventStores,
  McpReplayError,
  mcpEventStore,
} from './mcp-event-store.ts';
export { createMemoryEventStores, type MemoryEventStoresOptions } from './memory-event-stores.ts';
export type { SessionEvent, SessionEventLog, SessionEventPage } from './session-events.ts';
