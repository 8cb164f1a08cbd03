import { connect } from './connect.ts';
import { SSEResponseError } from './response-error.ts';
import type { ConnectOptions, SSEConnection } from './types.ts';
import { baseOption } from './url.ts';

/**
 * Options of the {@link EventSource} class: `EventSourceInit` plus what
 * `connect` offers beyond it (headers, method, body, a custom fetch,
 * reconnection timing, limits).
 *
 * @example
 * ```ts
 * const options: EventSourceOptions = { withCredentials: true, headers: { 'x-team': 'ops' } };
 * new EventSource('/events', options);
 * ```
 */
export interface EventSourceOptions
  extends Omit<
    ConnectOptions,
    'signal' | 'json' | 'reconnect' | 'credentials' | 'onOpen' | 'onReconnect'
  > {
  /** Send cookies and credentials to other origins too (`credentials: 'include'`). */
  withCredentials?: boolean;
}

/**
 * The events an {@link EventSource} dispatches besides named ones (which are
 * `MessageEvent`s), for typed listeners.
 *
 * @example
 * ```ts
 * const onOpen = (event: EventSourceEventMap['open']) => console.log(event.type);
 * source.addEventListener('open', onOpen);
 * ```
 */
export interface EventSourceEventMap {
  open: Event;
  message: MessageEvent;
  /**
   * `error` is the error behind it, if any; `code` the HTTP status of a
   * refused response and `message` the error's message, as the
   * `eventsource` package's error events have them.
   */
  error: Event & { error?: unknown; code?: number; message?: string };
}

type Listener<E> = ((this: EventSource, event: E) => unknown) | { handleEvent(event: E): unknown };

// Listener types as the DOM's EventSource declares them: named events are
// MessageEvents. One shape for adding and removing, with their options.
type ListenerMethod<Options> = {
  <K extends keyof EventSourceEventMap>(
    type: K,
    listener: Listener<EventSourceEventMap[K]>,
    options?: boolean | Options,
  ): void;
  (type: string, listener: Listener<MessageEvent>, options?: boolean | Options): void;
};

export interface EventSource {
  addEventListener: ListenerMethod<AddEventListenerOptions>;
  removeEventListener: ListenerMethod<EventListenerOptions>;
}

type Handler = ((event: Event) => unknown) | null;
type MessageHandler = ((event: MessageEvent) => unknown) | null;

// Runtimes without MessageEvent (some edge sandboxes) get an Event with the
// same three fields that listeners of an EventSource read.
const message = (type: string, init: MessageEventInit): Event =>
  globalThis.MessageEvent ? new MessageEvent(type, init) : Object.assign(new Event(type), init);

/**
 * The browser's `EventSource` interface on top of {@link connect}, for code
 * that expects one, in any runtime with `fetch`, and with headers, method
 * and body as options. `open`, `message` (and named events) and `error` are
 * dispatched as in browsers: `error` with `readyState` CONNECTING before each
 * reconnection, and with CLOSED when the connection fails for good (a status
 * other than 200, a wrong content type, 204). The error, when there is one,
 * is on the event's `error` property, with `code` (the HTTP status of a
 * refusal) and `message` beside it, as in the `eventsource` package. An
 * invalid URL throws a `SyntaxError` `DOMException`, as the standard says.
 *
 * @example
 * ```ts
 * const source = new EventSource('/events', {
 *   headers: { authorization: `Bearer ${token}` },
 * });
 * source.addEventListener('tick', (event) => console.log(event.data));
 * source.onerror = () => console.log(source.readyState); // 0: reconnecting
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class EventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  /** The URL, resolved against the page's when there is a page. */
  readonly url: string;
  /** Whether credentials are sent to other origins. */
  readonly withCredentials: boolean;
  onopen: Handler = null;
  onmessage: MessageHandler = null;
  onerror: Handler = null;
  #readyState: 0 | 1 | 2 = 0;
  #origin = '';
  #connection: SSEConnection;

  constructor(url: string | URL, options: EventSourceOptions = {}) {
    super();
    const base = baseOption(options.base);
    try {
      this.url = new URL(url, base).href;
    } catch {
      // "If urlRecord is failure, then throw a "SyntaxError" DOMException."
      throw new DOMException(
        `EventSource: expected a valid URL, got ${JSON.stringify(String(url))}. Pass an absolute URL.`,
        'SyntaxError',
      );
    }
    this.withCredentials = !!options.withCredentials;
    // The handler attributes are listeners registered first, as a browser's
    // are when set before any addEventListener call.
    for (const type of ['open', 'message', 'error'] as const) {
      this.addEventListener(type, (event) => (this[`on${type}`] as Handler)?.call(this, event));
    }
    this.#connection = connect(this.url, {
      ...options,
      credentials: this.withCredentials ? 'include' : 'same-origin',
      // "reestablish the connection" is what an EventSource always does.
      reconnect: true,
      onOpen: (response) => {
        // "announce the connection": readyState OPEN, then `open`.
        this.#origin = new URL(response.url || this.url).origin;
        this.#readyState = 1;
        this.dispatchEvent(new Event('open'));
      },
      onReconnect: (info) => {
        this.#readyState = 0;
        this.#fail(info.error);
      },
    });
    this.#run();
  }

  /** 0 connecting, 1 open, 2 closed. */
  get readyState(): 0 | 1 | 2 {
    return this.#readyState;
  }

  /** Stops the connection at once: `readyState` is CLOSED before this returns. */
  close(): void {
    this.#readyState = 2;
    this.#connection.close();
  }

  async #run() {
    let error: unknown;
    try {
      for await (const { event, data, lastEventId } of this.#connection) {
        if (this.#readyState === 2) return;
        this.dispatchEvent(message(event, { data, lastEventId, origin: this.#origin }));
      }
    } catch (cause) {
      error = cause;
    }
    // "fail the connection": readyState CLOSED, then `error`; after close() nothing more.
    if (this.#readyState === 2) return;
    this.#readyState = 2;
    this.#fail(error);
  }

  #fail(error: unknown) {
    const code = error instanceof SSEResponseError ? error.status : undefined;
    const message = error instanceof Error ? error.message : undefined;
    this.dispatchEvent(Object.assign(new Event('error'), { error, code, message }));
  }
}
