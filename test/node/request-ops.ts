/// <reference types="node" />
/**
 * What a handler can do with a request's body, as steps that record what
 * came of them: run the same steps on the Node adapter's request and on a
 * native `new Request(url, { body })` of the same bytes, and compare. Used by
 * `node-request-property.test.ts` and the plain cases pinned from it.
 */
import { createHash } from 'node:crypto';

/** A step a handler can take. */
export type Op =
  | 'text'
  | 'json'
  | 'arrayBuffer'
  | 'bytes'
  | 'blob'
  | 'formData'
  | 'stream' // reads what is left of the stream to its end
  | 'partial' // reads two chunks, then releases the reader
  | 'hold' // reads one chunk and keeps the reader (the stream stays locked)
  | 'cancel' // request.body.cancel()
  | 'readerCancel' // reads one chunk, then reader.cancel()
  | 'cancelWhileReading' // reader.cancel() while a read is pending
  | 'break' // for await ... break
  | 'clone' // clone(), then text() on both
  | 'limit' // reads up to LIMIT bytes, and cancels past it (a body limit)
  | 'bodyUsed'
  | 'signal';

export const OPS: readonly Op[] = [
  'text',
  'json',
  'arrayBuffer',
  ...('bytes' in Request.prototype ? (['bytes'] as const) : []),
  'blob',
  'formData',
  'stream',
  'partial',
  'hold',
  'cancel',
  'readerCancel',
  'cancelWhileReading',
  'break',
  'clone',
  'limit',
  'bodyUsed',
  'signal',
];

/** Steps that read the body to its end when they succeed. */
export const FULL_READS: readonly Op[] = [
  'text',
  'json',
  'arrayBuffer',
  'bytes',
  'blob',
  'formData',
  'stream',
  'clone',
];

/** Steps that may read part of the stream: what they read depends on where chunks fall. */
export const PARTIAL: readonly Op[] = [
  'stream',
  'partial',
  'hold',
  'readerCancel',
  'cancelWhileReading',
  'break',
  'limit',
];

/** Steps that use the stream itself. */
export const STREAM_STEPS: readonly Op[] = [...PARTIAL, 'cancel'];

/** The body limit of the `limit` step. */
export const LIMIT = 256 * 1024;

/** What came of a step: a value, or the name of what it threw. */
export type Outcome = { ok: string } | { error: string };

/** One request's reading: the bytes its stream steps read, and whether a limit refused it. */
export interface Reading {
  streamed: Uint8Array[];
  tooBig: boolean;
  /** A stream step cancelled the body: what it read is a prefix, not the body. */
  cut: boolean;
}

export const newReading = (): Reading => ({ streamed: [], tooBig: false, cut: false });

export function digest(bytes: Uint8Array): string {
  return `${bytes.length}:${createHash('sha1').update(bytes).digest('hex').slice(0, 12)}`;
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, into: Uint8Array[]) {
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    into.push(chunk.value);
  }
}

/** Runs `op` on `request`; never throws. */
export async function step(request: Request, op: Op, reading: Reading): Promise<Outcome> {
  try {
    return { ok: await act(request, op, reading) };
  } catch (error) {
    return { error: (error as Error)?.name ?? String(error) };
  }
}

async function act(request: Request, op: Op, reading: Reading): Promise<string> {
  const { streamed } = reading;
  switch (op) {
    case 'text':
      return digest(Buffer.from(await request.text()));
    case 'json':
      return JSON.stringify(await request.json()).slice(0, 40);
    case 'arrayBuffer':
      return digest(new Uint8Array(await request.arrayBuffer()));
    case 'bytes':
      return digest(await (request as unknown as { bytes(): Promise<Uint8Array> }).bytes());
    case 'blob':
      return digest(new Uint8Array(await (await request.blob()).arrayBuffer()));
    case 'formData':
      return JSON.stringify([...(await request.formData())].map(([k, v]) => [k, String(v)]));
    case 'stream': {
      const reader = request.body!.getReader();
      await readAll(reader, streamed);
      reader.releaseLock();
      return 'read';
    }
    case 'partial': {
      const reader = request.body!.getReader();
      for (let n = 0; n < 2; n++) {
        const chunk = await reader.read();
        if (chunk.done) break;
        streamed.push(chunk.value);
      }
      reader.releaseLock();
      return 'read';
    }
    case 'hold': {
      const chunk = await request.body!.getReader().read();
      if (!chunk.done) streamed.push(chunk.value);
      return 'read';
    }
    case 'cancel':
      await request.body!.cancel();
      reading.cut = true;
      return 'cancelled';
    case 'readerCancel': {
      const reader = request.body!.getReader();
      const chunk = await reader.read();
      if (!chunk.done) streamed.push(chunk.value);
      reading.cut = true;
      await reader.cancel();
      return 'cancelled';
    }
    case 'cancelWhileReading': {
      const reader = request.body!.getReader();
      const pending = reader.read();
      pending.catch(() => {}); // a stream already errored rejects it, and the cancel below throws first
      reading.cut = true;
      await reader.cancel();
      const chunk = await pending;
      if (!chunk.done) streamed.push(chunk.value);
      return 'cancelled';
    }
    case 'break':
      for await (const chunk of request.body! as unknown as AsyncIterable<Uint8Array>) {
        streamed.push(chunk);
        reading.cut = true;
        break;
      }
      return 'read';
    case 'clone': {
      const copy = request.clone();
      const both = await Promise.allSettled([copy.text(), request.text()]);
      return JSON.stringify(
        both.map((one) =>
          one.status === 'fulfilled'
            ? digest(Buffer.from(one.value))
            : ((one.reason as Error)?.name ?? 'error'),
        ),
      );
    }
    case 'limit': {
      const reader = request.body!.getReader();
      let total = 0;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        streamed.push(chunk.value);
        total += chunk.value.length;
        if (total > LIMIT) {
          reading.tooBig = true;
          reading.cut = true;
          await reader.cancel();
          return 'too big';
        }
      }
      reader.releaseLock();
      return 'fits';
    }
    case 'bodyUsed':
      return String(request.bodyUsed);
    case 'signal':
      return String(request.signal.aborted);
  }
}

/**
 * A native request of `bytes`, the oracle, and `over()`: what the adapter
 * does when the response is over (a body not read to its end errors, as
 * Deno's does; one read to its end stays so).
 */
export function nativeRequest(bytes: Uint8Array, contentType: string) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  // Filled when first read: a body nobody touched is not drained, and errors
  // at the response's end, empty or not.
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull(c) {
        if (bytes.length) c.enqueue(bytes.slice());
        c.close();
      },
    },
    { highWaterMark: 0 },
  );
  const request = new Request('http://oracle.test/', {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
    duplex: 'half',
  } as RequestInit);
  return { request, over: () => controller.error(new TypeError('the response is over')) };
}
