/**
 * ssekit/client: reading server-sent events on web standards.
 *
 * `SSEParserStream` turns a `fetch` body into events exactly as browsers
 * parse them; `connect` is a reconnecting reader with headers, methods and
 * resume; `EventSource` is the browser interface on top of it.
 *
 * @module
 */

export { SSEError, SSEOptionError } from '../errors.ts';
export type { SSEEvent, SSEParser, SSEParserOptions } from '../wire/event.ts';
export { createSSEParser } from '../wire/parse.ts';
export { SSEParseError } from '../wire/parse-error.ts';
export { connect } from './connect.ts';
export { EventSource, type EventSourceEventMap, type EventSourceOptions } from './event-source.ts';
export { SSEParserStream, type SSEParserStreamOptions } from './parser-stream.ts';
export { type ReadEventsOptions, readEvents } from './read-events.ts';
export { SSEResponseError } from './response-error.ts';
export type {
  ConnectAttempt,
  ConnectEvent,
  ConnectOptions,
  ReconnectInfo,
  SSEClientEvent,
  SSEConnection,
} from './types.ts';
