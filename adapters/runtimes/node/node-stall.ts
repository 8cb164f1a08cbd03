/// <reference types="node" />
/**
 * The write timeout's one question: has a client taken any of what Node
 * holds for it lately? A slow client has, a stalled one has not. Asked on a
 * timer while a response waits for `'drain'` or `'finish'`, never per write.
 *
 * @module
 */
import type { Http2ServerResponse } from 'node:http2';
import type { NodeResponse } from './node-types.ts';

/** The libuv counters of a socket's handle, when it has them. */
interface Counted {
  bytesWritten?: unknown;
  writeQueueSize?: unknown;
}

/**
 * @internal How far a client has taken its response: a count that only grows. On
 * HTTP/1, the bytes the kernel took from the socket (libuv's bytes written,
 * less what it still queues), which moves in the middle of a write:
 * `writableLength` goes down only when a whole write is done, and one write
 * (a multi-MiB event) can outlast the timeout while the client reads it
 * steadily. HTTP/2 streams share their socket and Node counts nothing per
 * stream: there, what Node holds for the stream, negated.
 */
export function taken(res: NodeResponse): number {
  if (!(res as Http2ServerResponse).stream) {
    const handle = (res.socket as { _handle?: Counted } | null)?._handle;
    const written = handle?.bytesWritten;
    const queued = handle?.writeQueueSize;
    if (typeof written === 'number' && typeof queued === 'number') return written - queued;
  }
  return -res.writableLength;
}

/**
 * @internal Calls `stalled` once the client has taken nothing of `res` (see
 * {@link taken}) for `timeout` ms while Node holds bytes for it; returns what
 * stops the watch. It looks every quarter of the timeout, at most every
 * second, so the cut comes at most two looks after the timeout.
 */
export function watchStall(res: NodeResponse, timeout: number, stalled: () => void): () => void {
  let before = taken(res);
  let movedAt = performance.now();
  const look = setInterval(
    () => {
      const now = taken(res);
      if (now > before || res.writableLength === 0) {
        before = now;
        movedAt = performance.now();
      } else if (performance.now() - movedAt >= timeout) {
        clearInterval(look);
        stalled();
      }
    },
    Math.max(1, Math.min(1000, timeout / 4)),
  );
  return () => clearInterval(look);
}
