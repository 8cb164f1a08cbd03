import type { EventMap } from '../types.ts';
import { createSSEParser, type SSEEvent } from '../wire/parse.ts';
import { SSEParseError, SSEResponseError } from './errors.ts';
import { backoff, headerBytes, isEventStream, retryAfter, wait } from './retry.ts';
import type { ConnectOptions, SSEClientEvent, SSEConnection } from './types.ts';

const STREAM = { stream: true };

/**
 * Reads an event stream with `fetch`, as an async iterable of events, and
 * behaves like `EventSource` where that matters: `Accept:
 * text/event-stream`, no caching, `Last-Event-ID` on reconnection, the
 * server's `retry` honoured, exactly status 200 and `text/event-stream`
 * required, 204 meaning "stop". Unlike `EventSource` it sends headers,
 * methods and bodies, backs off after failures, and types its events.
 *
 * The iteration ends when the server answers 204, when a stream ends and
 * reconnecting is off, or on `close()` or `signal`. It throws
 * {@link SSEResponseError} for any other status or content type,
 * {@link SSEParseError} for a stream past its limits or bad JSON, and the
 * network error once reconnecting is off or `maxRetries` is used up.
 *
 * @example
 * ```ts
 * const events = connect<{ token: { text: string } }>('https://api.example.com/chat', {
 *   method: 'POST',
 *   body: JSON.stringify({ prompt }),
 *   headers: async () => ({ authorization: `Bearer ${await getToken()}` }),
 *   json: true,
 * });
 * for await (const { data } of events) output.append(data.text);
 * ```
 */
export function connect<Events extends EventMap = Record<string, unknown>>(
  input: string | URL,
  options: ConnectOptions & { json: true },
): SSEConnection<Events>;
export function connect<Events extends EventMap = Record<string, string>>(
  input: string | URL,
  options?: ConnectOptions,
): SSEConnection<Events>;
export function connect(input: string | URL, options: ConnectOptions = {}): SSEConnection<any> {
  const method = options.method?.toUpperCase() ?? 'GET';
  const { reconnect = method === 'GET' || method === 'HEAD', maxRetries = Infinity } = options;
  const controller = new AbortController();
  const { signal } = controller;
  const close = () => controller.abort();
  let readyState: 0 | 1 | 2 = 0;
  let lastEventId = options.lastEventId ?? '';
  let reconnectionTime = options.retryDelay ?? 3000;

  async function* run(): AsyncGenerator<SSEClientEvent<string, unknown>, void, undefined> {
    options.signal?.aborted ? close() : options.signal?.addEventListener('abort', close);
    let failures = 0;
    try {
      for (let attempt = 0; !signal.aborted; attempt++) {
        readyState = 0;
        const headers = new Headers(
          typeof options.headers === 'function'
            ? await options.headers({ attempt, lastEventId })
            : options.headers,
        );
        if (!headers.has('accept')) headers.set('accept', 'text/event-stream');
        // "If the event source's last event ID string is not the empty
        // string, set `Last-Event-ID` to the last event ID string, encoded as UTF-8."
        if (lastEventId) headers.set('last-event-id', headerBytes(lastEventId));
        let response: Response | undefined;
        let error: unknown;
        let delay: number | undefined;
        let delivered = false;
        try {
          response = await (options.fetch ?? fetch)(input, {
            method,
            headers,
            body: options.body,
            credentials: options.credentials,
            // The spec fetches with cache mode "no-store"; fetch then also
            // sends `Cache-Control: no-cache` and `Pragma: no-cache`.
            cache: 'no-store',
            signal,
          });
        } catch (cause) {
          error = cause;
        }
        if (signal.aborted) return;
        if (response?.status === 204) {
          // "HTTP 204 No Content ... must cause the user agent to fail the connection": stop.
          await response.body?.cancel();
          return;
        }
        if (
          response &&
          (response.status !== 200 || !isEventStream(response.headers.get('content-type')))
        ) {
          error = new SSEResponseError(response);
          const { status } = response;
          if (!options.retryStatus || !(status === 429 || status >= 500)) throw error;
          delay = retryAfter(response);
          await response.body?.cancel();
        } else if (response) {
          readyState = 1;
          options.onOpen?.(response);
          const events: SSEEvent[] = [];
          const parser = createSSEParser({
            ...options,
            lastEventId,
            onEvent: (event) => events.push(event),
            // "If the field value consists of only ASCII digits ... set the
            // event stream's reconnection time to that integer."
            onRetry: (ms) => {
              reconnectionTime = ms;
            },
          });
          const reader = response.body?.getReader();
          const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
          // Cancelling the reader ends a pending read even where aborting
          // the fetch would not reach the body (a custom fetch, a proxy).
          const cancel = () => reader?.cancel().catch(() => {});
          signal.addEventListener('abort', cancel);
          try {
            // Read the body directly instead of piping it through streams: a
            // chunk costs one read, and events are handed out as they are pulled.
            for (
              let chunk = await reader?.read();
              chunk && !chunk.done;
              chunk = await reader!.read()
            ) {
              parser.feed(decoder.decode(chunk.value, STREAM));
              for (const event of events) {
                lastEventId = event.lastEventId;
                delivered = true;
                yield options.json ? parseJSON(event) : event;
                if (signal.aborted) return;
              }
              events.length = 0;
            }
          } catch (cause) {
            if (signal.aborted) return;
            if (cause instanceof SSEParseError || !reconnect) throw cause;
            error = cause;
          } finally {
            signal.removeEventListener('abort', cancel);
            cancel();
          }
          if (signal.aborted) return;
          // An id-only block commits its id without an event.
          lastEventId = parser.lastEventId;
        }
        if (!reconnect && !(error instanceof SSEResponseError)) {
          if (error) throw error;
          return;
        }
        failures = delivered ? 0 : failures + 1;
        if (error && failures > maxRetries) throw error;
        delay ??= backoff(reconnectionTime, failures, options.maxRetryDelay ?? 30000);
        readyState = 0;
        options.onReconnect?.({ attempt: failures + 1, delay, error });
        await wait(delay, signal);
      }
    } finally {
      readyState = 2;
      options.signal?.removeEventListener('abort', close);
      close();
    }
  }

  const iterator = run();
  return {
    get readyState() {
      return readyState;
    },
    get lastEventId() {
      return lastEventId;
    },
    close,
    [Symbol.asyncIterator]: () => iterator,
  };
}

function parseJSON(event: SSEEvent): SSEClientEvent<string, unknown> {
  try {
    return { ...event, data: JSON.parse(event.data) };
  } catch (cause) {
    throw new SSEParseError(
      'invalid-json',
      `The data of a '${event.event}' event is not JSON (${(cause as Error).message}). Leave json off to read it as text, or make the server send JSON.`,
      { cause },
    );
  }
}
