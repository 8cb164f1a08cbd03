import { SSEOptionError } from '../errors.ts';
import { describe } from '../wire/encode.ts';

// Timing and header helpers of the reconnecting client.

/** The longest delay `setTimeout` takes; a longer one fires at once (1 ms). @internal */
export const MAX_TIMER = 2 ** 31 - 1;

/**
 * The wait before attempt number `failures + 1`. After a connection that
 * delivered events (`failures` 0) it is the reconnection time, as the spec
 * asks ("wait a delay equal to the reconnection time of the event source").
 * After failed attempts it starts from at least `floor`, whatever the server
 * asked (a `retry: 0` must not make a client hammer it), doubles per failure
 * up to `cap`, and is jittered by up to half so that many clients dropped at
 * once do not come back at once.
 * @internal
 */
export function backoff(
  reconnectionTime: number,
  failures: number,
  floor: number,
  cap: number,
): number {
  if (!failures) return reconnectionTime;
  const base = Math.max(reconnectionTime, floor);
  // 2 ** 31 times any base is past any cap: no Infinity, no NaN.
  const delay = Math.min(base * 2 ** Math.min(failures, 31), cap);
  return delay / 2 + (Math.random() * delay) / 2;
}

/**
 * A delay option in milliseconds: `fallback` when absent, a typed error when
 * not a number of at least 0, and at most what a timer can wait.
 * @internal
 */
export function delayOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new SSEOptionError(
      `connect: ${name}: expected a number of milliseconds of at least 0, got ${describe(value)}.`,
    );
  }
  return Math.min(value, MAX_TIMER);
}

/**
 * `Retry-After` in milliseconds; undefined when absent or not delay-seconds
 * (an HTTP date then falls back to the backoff).
 * @internal
 */
export function retryAfter(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  return value && /^\s*\d+\s*$/.test(value) ? +value * 1000 : undefined;
}

/**
 * Resolves after `ms`, or at once when `signal` aborts; the timer is cleared
 * either way, so an aborted client leaves nothing behind.
 * @internal
 */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** The longest `Last-Event-ID` sent, in UTF-8 bytes: what ssekit's server accepts. @internal */
export const MAX_ID_BYTES = 1024;

/**
 * The `Last-Event-ID` header value for an id: its UTF-8 bytes, one char per
 * byte, since `Headers` accepts only byte strings ("…" becomes the three
 * bytes E2 80 A6 on the wire, as browsers send it). `undefined` for an id
 * past {@link MAX_ID_BYTES}: servers take one that long as absent, and it
 * would cost its size again on every reconnection.
 * @internal
 */
export function headerBytes(text: string): string | undefined {
  // A UTF-16 code unit is at least one UTF-8 byte: skip encoding a huge id.
  if (text.length > MAX_ID_BYTES) return undefined;
  const bytes = new TextEncoder().encode(text);
  // At most 1,024 arguments: well within what one call takes.
  return bytes.length > MAX_ID_BYTES ? undefined : String.fromCharCode(...bytes);
}

/**
 * Whether a `Content-Type` names `text/event-stream`; parameters such as
 * `charset` are ignored (the stream is always UTF-8).
 * @internal
 */
export function isEventStream(contentType: string | null): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'text/event-stream';
}
