import { need } from '../checks.ts';
import { sleep } from '../signal.ts';
import { isEventStreamType } from '../wire/content-type.ts';
import type { SSEEvent } from '../wire/event.ts';
import type { EventMap } from '../wire/message.ts';
import { SSEParseError } from '../wire/parse-error.ts';
import { bodyOf, isResponse } from './body.ts';
import { EventReader } from './event-reader.ts';
import { headerBytes } from './last-event-id-header.ts';
import { backoff, delayOption, retryAfter } from './reconnect-delay.ts';
import { SSEResponseError } from './response-error.ts';
import type { ConnectOptions, SSEClientEvent, SSEConnection } from './types.ts';
import { baseOption, resolveURL } from './url.ts';

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
  // Checked here, with the options: fetch would fail every attempt alike.
  const url = resolveURL(input, baseOption(options.base));
  const { method = 'GET', maxRetries = Infinity } = options;
  const { reconnect = /^(get|head)$/i.test(method) } = options;
  const retryDelay = delayOption('retryDelay', options.retryDelay, 3000);
  const maxRetryDelay = delayOption('maxRetryDelay', options.maxRetryDelay, 30_000);
  // Failed attempts back off from at least this, whatever the server's retry.
  const floor = Math.max(1, Math.min(retryDelay, 1000));
  const controller = new AbortController();
  const { signal } = controller;
  const close = () => controller.abort();
  let readyState: 0 | 1 | 2 = 0;
  let lastEventId = options.lastEventId ?? '';
  let reconnectionTime = retryDelay;
  let cache: RequestCache | undefined = 'no-store';

  async function* run(): AsyncGenerator<SSEClientEvent<string, unknown>, void, undefined> {
    options.signal?.aborted ? close() : options.signal?.addEventListener('abort', close);
    let failures = 0;
    try {
      // Counts reconnections: asking again without a cache mode is not one.
      let attempt = 0;
      while (!signal.aborted) {
        const headers = new Headers(
          typeof options.headers === 'function'
            ? await options.headers({ attempt, lastEventId })
            : options.headers,
        );
        if (!headers.has('accept')) headers.set('accept', 'text/event-stream');
        // "If the event source's last event ID string is not the empty
        // string, set `Last-Event-ID` to the last event ID string, encoded as UTF-8."
        // Not past 1,024 bytes, as servers accept (see headerBytes).
        const idHeader = lastEventId && headerBytes(lastEventId);
        if (idHeader) headers.set('last-event-id', idHeader);
        if (!cache) headers.set('cache-control', 'no-cache');
        let response: Response | undefined;
        let error: unknown;
        let delay: number | undefined;
        let delivered = false;
        // The request has its own signal, so that a refused response can
        // leave with its body still readable after close() aborts `signal`.
        const request = new AbortController();
        const abortRequest = () => request.abort();
        signal.addEventListener('abort', abortRequest);
        try {
          response = await (options.fetch ?? fetch)(url, {
            method,
            // A plain object: a custom fetch that spreads it keeps every header.
            headers: Object.fromEntries(headers),
            body: options.body,
            credentials: options.credentials,
            // The spec fetches with cache mode "no-store"; fetch then also
            // sends `Cache-Control: no-cache` and `Pragma: no-cache`.
            cache,
            signal: request.signal,
          });
        } catch (cause) {
          signal.removeEventListener('abort', abortRequest);
          // Workers before compatibility date 2024-11-11 refuse cache modes:
          // ask again with the header that "no-store" stands for.
          if (cache && /'cache'/.test(`${cause}`)) {
            cache = undefined;
            continue;
          }
          error = cause;
        }
        if (signal.aborted) return;
        // What a custom fetch returned: a mistake in it would fail every
        // attempt alike, so it is thrown, not retried.
        if (!error) {
          need(
            isResponse(response),
            'connect: fetch',
            'a function that resolves to a Response',
            response,
            'Return what fetch returns.',
          );
        }
        if (response?.status === 204) {
          // "HTTP 204 No Content ... must cause the user agent to fail the connection": stop.
          await response.body?.cancel();
          return;
        }
        if (
          response &&
          (response.status !== 200 || !isEventStreamType(response.headers.get('content-type')))
        ) {
          error = new SSEResponseError(response);
          const { status } = response;
          if (!options.retryStatus || !(status === 429 || status >= 500)) {
            signal.removeEventListener('abort', abortRequest);
            throw error;
          }
          delay = retryAfter(response);
          await response.body?.cancel();
        } else if (response) {
          // A 200 without a body (a HEAD request) is a stream that has ended.
          const body = bodyOf(response, 'connect: fetch');
          readyState = 1;
          options.onOpen?.(response);
          const events = new EventReader(body, {
            ...options,
            lastEventId,
            signal,
            // "If the field value consists of only ASCII digits ... set the
            // event stream's reconnection time to that integer."
            // Clamped: a timer past 2^31-1 ms fires at once.
            onRetry: (ms) => {
              reconnectionTime = Math.min(ms, maxRetryDelay);
            },
          });
          try {
            for (;;) {
              // A promise only when a chunk must be read, not per event.
              let next = events.next();
              if (next instanceof Promise) next = await next;
              // The end carries the committed id: an id-only block commits
              // its id without an event.
              if (next.done) {
                lastEventId = next.value;
                break;
              }
              lastEventId = next.value.lastEventId;
              delivered = true;
              yield options.json ? parseJSON(next.value) : next.value;
              if (signal.aborted) return;
            }
          } catch (cause) {
            if (signal.aborted) return;
            if (cause instanceof SSEParseError || !reconnect) throw cause;
            error = cause;
          } finally {
            events.close();
            signal.removeEventListener('abort', abortRequest);
          }
          if (signal.aborted) return;
        }
        signal.removeEventListener('abort', abortRequest);
        if (!reconnect && !(error instanceof SSEResponseError)) {
          if (error) throw error;
          return;
        }
        failures = delivered ? 0 : failures + 1;
        if (error && failures > maxRetries) throw error;
        const backedOff = backoff(reconnectionTime, failures, floor, maxRetryDelay);
        // A Retry-After may ask for longer than the backoff, not for less.
        delay =
          delay === undefined ? backedOff : Math.max(Math.min(delay, maxRetryDelay), backedOff);
        readyState = 0;
        options.onReconnect?.({ attempt: failures + 1, delay, error });
        await sleep(delay, signal);
        attempt++;
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
      `data: expected JSON, got other text in event '${event.event}' (${(cause as Error).message}). Leave json off for text.`,
      { cause },
    );
  }
}
