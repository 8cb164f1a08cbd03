import type { SSEEvent } from '../wire/event.ts';
import type { EventMap } from '../wire/message.ts';

// The types of connect(): its events, options and connection.

/**
 * An event read by {@link connect}: `data` is a string, or the parsed JSON
 * with `json: true`.
 *
 * @example
 * ```ts
 * const event: SSEClientEvent<'tick', { n: number }> =
 *   { event: 'tick', data: { n: 1 }, id: '7', lastEventId: '7' };
 * ```
 */
export interface SSEClientEvent<Name extends string = string, Data = string>
  extends Omit<SSEEvent, 'event' | 'data'> {
  /** The event type; `'message'` when the server named none. */
  event: Name;
  /** The event's data: text, or parsed JSON with `json: true`. */
  data: Data;
}

/**
 * The events of a stream typed by an {@link EventMap}: a union over its
 * names, so checking `event.event` narrows `event.data`.
 *
 * @example
 * ```ts
 * type Events = { tick: { n: number }; bye: string };
 * declare const event: ConnectEvent<Events>;
 * if (event.event === 'tick') event.data.n; // number
 * ```
 */
export type ConnectEvent<Events extends EventMap> = string extends keyof Events
  ? SSEClientEvent<string, Events[string]>
  : { [Name in keyof Events & string]: SSEClientEvent<Name, Events[Name]> }[keyof Events & string];

/**
 * What a `headers` function of {@link connect} is told about the attempt.
 *
 * @example
 * ```ts
 * const headers = async ({ attempt }: ConnectAttempt) => ({
 *   authorization: `Bearer ${await getToken({ refresh: attempt > 0 })}`,
 * });
 * ```
 */
export interface ConnectAttempt {
  /**
   * 0 for the first request, then 1, 2, … for each reconnection. Asking
   * again without a cache mode (where fetch refuses one) is not a reconnection.
   */
  attempt: number;
  /** The id that will be sent as `Last-Event-ID` (`''`: none). */
  lastEventId: string;
}

/**
 * Why and when {@link connect} reconnects; passed to `onReconnect`.
 *
 * @example
 * ```ts
 * const onReconnect = ({ attempt, delay, error }: ReconnectInfo) =>
 *   console.warn(`retry ${attempt} in ${delay} ms`, error);
 * ```
 */
export interface ReconnectInfo {
  /** 1 for the first try after a connection that delivered events, then 2, 3, … */
  attempt: number;
  /** Milliseconds until the next request. */
  delay: number;
  /** The network error or `SSEResponseError`; `undefined` when the stream simply ended. */
  error?: unknown;
}

/**
 * Options of {@link connect}.
 *
 * @example
 * ```ts
 * const options: ConnectOptions = { method: 'POST', body: '{}', reconnect: true, maxRetries: 5 };
 * connect('/jobs/7/log', options);
 * ```
 */
export interface ConnectOptions {
  /**
   * The absolute URL a path is resolved against, as `new URL(url, base)`
   * does: what a server (Node, Deno, Bun, Workers) passes, having no page.
   * Default: in a page or a worker, the URL `fetch` resolves against (the
   * document's base URL, or `location`); elsewhere none, and a path throws
   * `SSEOptionError`.
   */
  base?: string | URL;
  /** HTTP method. Default `GET`. */
  method?: string;
  /** Request headers, or a function called before every attempt (to refresh a token). */
  headers?: HeadersInit | ((attempt: ConnectAttempt) => HeadersInit | Promise<HeadersInit>);
  /** Request body; it is sent again on every reconnection, so not a stream. */
  body?: BodyInit | null;
  /** `fetch`'s credentials mode. */
  credentials?: RequestCredentials;
  /** Aborting it ends the iteration: the read and any pending reconnect timer stop. */
  signal?: AbortSignal;
  /**
   * The `fetch` to use. Default `globalThis.fetch`. It gets the headers as a
   * plain object (lower-case names), so `{ ...init.headers }` keeps them all.
   */
  fetch?: typeof fetch;
  /** Resume after this id: sent as `Last-Event-ID` from the first request on. */
  lastEventId?: string;
  /**
   * Reconnect when the stream ends or the network fails, as `EventSource`
   * does. Default `true` for `GET` and `HEAD`; other methods are not
   * idempotent, so retrying them is opt-in.
   */
  reconnect?: boolean;
  /**
   * Reconnection time until the server sends `retry`, in ms. Default 3000.
   * Failed attempts back off from this or 1000, whichever is less, however
   * small the server's `retry`.
   */
  retryDelay?: number;
  /**
   * Cap of the backoff after failed attempts, and of the server's `retry`
   * and `Retry-After`, in ms. Default 30000; never above 2^31-1 (what a timer takes).
   */
  maxRetryDelay?: number;
  /** Failed attempts in a row before the error is thrown. Default `Infinity`. */
  maxRetries?: number;
  /** Retry 5xx and 429 responses (waiting a `Retry-After` in seconds) instead of throwing. Default `false`. */
  retryStatus?: boolean;
  /** Parse each event's `data` as JSON. Default `false`. */
  json?: boolean;
  /** See `SSEParserOptions.maxLineLength`: default `maxEventLength` + 64. */
  maxLineLength?: number;
  /** See `SSEParserOptions.maxEventLength`: default 16 Mi characters. */
  maxEventLength?: number;
  /** Called with each response that opened a stream. */
  onOpen?: (response: Response) => void;
  /** Called before each wait for a reconnection. */
  onReconnect?: (info: ReconnectInfo) => void;
  /** Called with the text of each comment line. */
  onComment?: (text: string) => void;
}

/**
 * A running {@link connect}: iterate it for events.
 *
 * @example
 * ```ts
 * const events = connect('/events');
 * setTimeout(() => events.close(), 60_000);
 * for await (const event of events) console.log(event.data, events.readyState);
 * ```
 */
export interface SSEConnection<Events extends EventMap = Record<string, string>>
  extends AsyncIterable<ConnectEvent<Events>> {
  /** 0 connecting (or waiting to reconnect), 1 open, 2 closed: `EventSource`'s values. */
  readonly readyState: 0 | 1 | 2;
  /** The last event ID received: persist it to resume later with the `lastEventId` option. */
  readonly lastEventId: string;
  /** Stops reading and reconnecting; the iteration ends. */
  close(): void;
}
