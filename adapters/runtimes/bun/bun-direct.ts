/**
 * Bun's direct streams as the sink of ssekit's direct path (see
 * `src/server/direct.ts`): the engine writes an event stream's bytes with the
 * stream controller's `write`, and no `ReadableStream` of ours is read.
 *
 * What Bun (1.4) does with a `type: 'direct'` body of a `Bun.serve` response:
 * - `pull(controller)` is called once; returning nothing keeps the response
 *   open until `controller.close()`.
 * - `controller.write(bytes)` returns the bytes written, or a promise while
 *   the socket is full: the bytes are taken either way, and the promise
 *   settles when the socket drains (or the client leaves). That is the
 *   direct path's backpressure: `false`, then `drained()`.
 * - The client leaving calls the source's `cancel` once; writes after it
 *   neither throw nor wait. Our own `close()` never calls `cancel`.
 * - `controller.close(error)` cuts the connection without the final chunk.
 *
 * @module
 */
import type { DirectSink, DirectStream } from '../../../src/server/direct.ts';

/** The part of Bun's direct stream controller used here. */
interface DirectController {
  write(bytes: Uint8Array): number | Promise<number>;
  flush(): number | Promise<number>;
  close(error?: Error): void;
}

/**
 * @internal A body for Bun of `response`'s event stream, written directly.
 * A stream that finished before Bun asked for its bytes is copied from the
 * response's own body instead.
 */
export function directBody(direct: DirectStream, response: Response): ReadableStream<Uint8Array> {
  let sink: BunSink | undefined;
  let held: Response | undefined = response;
  return new ReadableStream({
    type: 'direct',
    pull(controller: DirectController) {
      const body = held!.body!;
      held = undefined; // the direct path never reads it: let it go
      sink = new BunSink(controller, direct);
      if (direct.attach(sink)) return;
      sink = undefined;
      void copy(body, controller);
    },
    cancel() {
      if (sink) sink.cancelled();
      else void held?.body?.cancel().catch(() => {});
      held = undefined;
    },
  } as unknown as UnderlyingDefaultSource<Uint8Array>);
}

class BunSink implements DirectSink {
  #controller: DirectController;
  #direct: DirectStream;
  #finished = false;
  #drained = (): void => {
    if (!this.#finished) this.#direct.drained();
  };

  constructor(controller: DirectController, direct: DirectStream) {
    this.#controller = controller;
    this.#direct = direct;
  }

  write(bytes: Uint8Array): boolean {
    let written = this.#controller.write(bytes);
    // Out now, not at the end of the tick: an event is meant to arrive at once.
    if (typeof written === 'number') written = this.#controller.flush();
    if (typeof written === 'number') return true;
    written.then(this.#drained, this.#drained);
    return false;
  }

  end(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#controller.close();
  }

  destroy(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#controller.close(new Error('ssekit: the event stream was cut (its client fell behind)'));
  }

  /** The client left: the stream closes, once. */
  cancelled(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#direct.cancel();
  }
}

/** A stream that finished before Bun asked for its bytes: they are in the body. */
async function copy(body: ReadableStream<Uint8Array>, controller: DirectController) {
  const reader = body.getReader();
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      const written = controller.write(read.value);
      if (typeof written !== 'number') await written;
    }
    controller.close();
  } catch (error) {
    controller.close(error instanceof Error ? error : new Error(String(error)));
  }
}
