/// <reference types="node" />
/**
 * The direct path of the Node adapter: an ssekit stream writes its bytes
 * into Node's response itself (see `directStream`), with Node's own
 * backpressure and the write timeout. The body path is in `node-response.ts`.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { DirectSink, DirectStream } from '../../../src/server/direct.ts';
import { watchStall } from './node-stall.ts';
import type { NodeResponse } from './node-types.ts';

/**
 * @internal The direct path (see `directStream`): the stream writes its bytes into the
 * response itself, with Node's own backpressure. One object a connection,
 * its listeners made when first needed. `done` settles when the response is
 * over; it is unset when the stream finished before it could attach (its
 * bytes are then in the body: read that).
 *
 * A write that fills the socket starts the write timeout: if the client
 * takes none of what Node holds for it for that long (see `watchStall`),
 * the stream closes as 'timeout' and the socket is destroyed.
 */
export class DirectConnection implements DirectSink {
  done: Promise<void> | undefined;
  #res: NodeResponse;
  #direct: DirectStream;
  #timeout: number;
  #unwatch: (() => void) | undefined;
  #resolve: (() => void) | undefined;
  #onDrain: (() => void) | undefined;

  constructor(res: NodeResponse, direct: DirectStream, timeout: number) {
    this.#res = res;
    this.#direct = direct;
    this.#timeout = timeout;
    if (!direct.attach(this)) return;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    res.on('close', this.#closed);
  }

  write(bytes: Uint8Array): boolean {
    const more = (this.#res as ServerResponse).write(bytes);
    if (!more) this.#stalled();
    return more;
  }

  end(): void {
    this.#res.end();
    // What end() could not flush yet is held too: the same bound applies.
    if (!this.#res.writableFinished) this.#stalled();
  }

  destroy(): void {
    this.#res.destroy();
  }

  fail(): void {
    endBroken(this.#res);
  }

  /** A server shutdown: the stream closes, the response ends cleanly. */
  shutdown(): void {
    this.#direct.cancel();
    this.#res.end();
  }

  #closed = (): void => {
    this.#unwatch?.();
    if (this.#onDrain) this.#res.off('drain', this.#onDrain);
    // Before end(): the client left (or the socket was cut); the stream closes.
    if (!this.#res.writableEnded) this.#direct.cancel();
    this.#resolve?.();
  };

  /** The socket is full: wait for 'drain', and time the wait. */
  #stalled(): void {
    this.#onDrain ??= () => {
      this.#unwatch?.();
      this.#unwatch = undefined;
      this.#direct.drained();
    };
    this.#res.once('drain', this.#onDrain);
    if (!this.#timeout || this.#unwatch) return;
    this.#unwatch = watchStall(this.#res, this.#timeout, () => {
      this.#direct.cancel('timeout');
      this.#res.destroy();
    });
  }
}

/**
 * @internal Ends a response so its client sees the stream broken, after what
 * was written reaches it: HTTP/1.1 closes the connection without the last
 * chunk (a reader gets an error, not an end), HTTP/2 resets the stream with
 * INTERNAL_ERROR. Used when the body failed (a relay's upstream or
 * transform), where what came before must still arrive; an overflow, whose
 * client reads nothing, is destroyed instead.
 */
export function endBroken(res: NodeResponse): void {
  if (res.destroyed) return;
  if ('stream' in res) {
    const { stream } = res;
    // The reset is ours: the error Node emits for it on the stream is not news.
    stream.once('error', () => {});
    // A reset sent at once overtakes the data frames still queued: send it
    // once a last write (a comment, which clients ignore) has gone out.
    res.write(':\n\n', () => stream.close(2 /* NGHTTP2_INTERNAL_ERROR */));
  } else res.socket?.end();
}
