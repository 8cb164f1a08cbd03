import type { EncodedMessage } from './encoded.ts';

// The messages a stream carries, as the caller writes them. What the wire
// layer encodes, so it lives here: every layer above imports them from wire/.

/**
 * A map from event names to the type of their `data`, used to type a stream
 * end to end: `sseResponse<{ tick: { n: number } }>(...)`.
 *
 * @example
 * ```ts
 * type Events = { tick: { n: number }; bye: string };
 * const message: SSEMessage<Events> = { event: 'tick', data: { n: 1 } };
 * ```
 */
export type EventMap = Record<string, unknown>;

/**
 * Turns `data` that is not a string into text. The default is `JSON.stringify`.
 *
 * @example
 * ```ts
 * const serialize: Serialize = (data) => superjson.stringify(data);
 * ```
 */
export type Serialize = (data: unknown) => string;

/**
 * The fields every message may carry besides `event` and `data`.
 *
 * @example
 * ```ts
 * const fields: MessageFields = { id: 42, retry: 5000, comment: 'resumable' };
 * ```
 */
export interface MessageFields {
  /** Sets the client's last event id; sent back as `Last-Event-ID` on reconnect. */
  id?: string | number;
  /** The client's reconnection delay in milliseconds. */
  retry?: number;
  /** A comment, ignored by parsers; handy for padding and debugging. */
  comment?: string;
}

/**
 * A message of an untyped stream: any event name, any data.
 *
 * @example
 * ```ts
 * const message: UntypedMessage = { event: 'order', id: 7, data: { total: 12.5 } };
 * ```
 */
export interface UntypedMessage extends MessageFields {
  /** The event type; the client's default is `message`. */
  event?: string;
  /** A string is sent as is (split on line breaks); anything else is serialized. */
  data?: unknown;
}

/**
 * A message that carries no event: only `id`, `retry` or `comment`. Clients
 * dispatch nothing for it, but take its id and retry.
 *
 * @example
 * ```ts
 * const checkpoint: ControlMessage = { id: 'cursor-81', retry: 10_000 };
 * ```
 */
export interface ControlMessage extends MessageFields {
  event?: undefined;
  data?: undefined;
}

type TypedMessage<Events extends EventMap> = {
  [Name in keyof Events & string]: MessageFields &
    (Name extends 'message'
      ? { event?: Name; data: Events[Name] }
      : { event: Name; data: Events[Name] });
}[keyof Events & string];

/**
 * One server-sent event. With an {@link EventMap}, `event` must be one of its
 * names and `data` that name's type.
 *
 * @example
 * ```ts
 * const untyped: SSEMessage = { event: 'tick', id: 1, data: { n: 1 } };
 * const typed: SSEMessage<{ tick: { n: number } }> = { event: 'tick', data: { n: 2 } };
 * ```
 */
export type SSEMessage<Events extends EventMap = EventMap> = string extends keyof Events
  ? UntypedMessage
  : TypedMessage<Events> | ControlMessage;

/**
 * What a source may produce: a message, a string sent as a `data` message, or
 * a message encoded once with `preEncode` for many streams.
 *
 * @example
 * ```ts
 * const items: SSEItem[] = ['hello', { event: 'tick', data: 1 }, preEncode({ data: 2 })];
 * ```
 */
export type SSEItem<Events extends EventMap = EventMap> =
  | SSEMessage<Events>
  | string
  | EncodedMessage;
