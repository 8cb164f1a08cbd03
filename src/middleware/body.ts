import { join } from '../wire/bytes.ts';

/**
 * @internal What {@link readWhole} found: the whole body, or a stream that
 * gives the same bytes as the original (what was read, then the rest).
 */
export type ReadResult = { bytes: Uint8Array } | { stream: ReadableStream<Uint8Array> };

const PENDING = Symbol('pending');
const nextTask = () => new Promise<typeof PENDING>((resolve) => setTimeout(resolve, 0, PENDING));

/**
 * @internal Reads a body whole if it is complete: all there without waiting
 * (a string or buffer body, or one already fully produced), or of a declared
 * length that `wait` allows waiting for, and no longer than `maxBytes`.
 * Anything else is a stream that should go out as it comes: as soon as a read
 * has to wait past a task (the producer is still producing), or the size
 * passes `maxBytes`, it stops and hands back the stream unchanged. This is Go's
 * ETag rule ("a flush means streaming") for a body that cannot flush.
 */
export async function readWhole(
  body: ReadableStream<Uint8Array>,
  options: { maxBytes: number; wait: boolean },
): Promise<ReadResult> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const read = reader.read();
    const result = options.wait ? await read : await Promise.race([read, nextTask()]);
    if (result === PENDING) return { stream: resume(reader, chunks, read) };
    if (result.done) break;
    chunks.push(result.value);
    size += result.value.byteLength;
    if (size > options.maxBytes) return { stream: resume(reader, chunks) };
  }
  return { bytes: join(chunks, size) ?? new Uint8Array(0) };
}

/** The chunks already read, then the pending read, then the rest: pulled, never pushed. */
function resume(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  chunks: Uint8Array[],
  pending?: Promise<ReadableStreamReadResult<Uint8Array>>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = chunks.shift();
        if (chunk !== undefined) return controller.enqueue(chunk);
        const read = pending ?? reader.read();
        pending = undefined;
        const { done, value } = await read;
        if (done) controller.close();
        else controller.enqueue(value);
      },
      // The client left: the producer learns it, as if it had been read directly.
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
