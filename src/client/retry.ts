// Timing and header helpers of the reconnecting client.

/**
 * The wait before attempt number `failures + 1`. After a connection that
 * delivered events (`failures` 0) it is the reconnection time, as the spec
 * asks ("wait a delay equal to the reconnection time of the event source");
 * after failed attempts it doubles, is capped, and is jittered by up to half
 * so that many clients dropped at once do not come back at once.
 * @internal
 */
export function backoff(reconnectionTime: number, failures: number, cap: number): number {
  if (!failures) return reconnectionTime;
  const delay = Math.min(reconnectionTime * 2 ** failures, Math.max(cap, reconnectionTime));
  return delay / 2 + (Math.random() * delay) / 2;
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

/**
 * The `Last-Event-ID` header value for an id: its UTF-8 bytes, one char per
 * byte, since `Headers` accepts only byte strings ("…" becomes the three
 * bytes E2 80 A6 on the wire, as browsers send it).
 * @internal
 */
export function headerBytes(text: string): string {
  let bytes = '';
  for (const byte of new TextEncoder().encode(text)) bytes += String.fromCharCode(byte);
  return bytes;
}

/**
 * Whether a `Content-Type` names `text/event-stream`; parameters such as
 * `charset` are ignored (the stream is always UTF-8).
 * @internal
 */
export function isEventStream(contentType: string | null): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'text/event-stream';
}
