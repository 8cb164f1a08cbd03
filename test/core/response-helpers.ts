import { directStream } from '../../src/server/direct.ts';

/** The two ways a response's bytes leave: its body read by a web reader, or the direct path. */
export type Path = 'stream' | 'direct';
export const PATHS: Path[] = ['stream', 'direct'];

/**
 * Reads a response chunk by chunk as text, the way a client would: through
 * its body's reader (`'stream'`), or as an adapter that owns a socket does
 * (`'direct'`), with a sink that takes one write per read, as a body with a
 * high-water mark of 0 does.
 */
export function chunkReader(response: Response, path: Path = 'stream') {
  const decoder = new TextDecoder();
  const source = path === 'stream' ? bodyReader(response) : directReader(response);
  return {
    /** The next chunk as text, or undefined when the stream is done. */
    async next(): Promise<string | undefined> {
      const { done, value } = await source.read();
      return done ? undefined : decoder.decode(value);
    },
    /** Every remaining chunk. */
    async rest(): Promise<string[]> {
      const chunks: string[] = [];
      for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) {
        chunks.push(chunk);
      }
      return chunks;
    },
    /** Every remaining chunk as one text, and the error that ended the body, if one did. */
    async settled(): Promise<{ text: string; error?: unknown }> {
      let text = '';
      try {
        for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) {
          text += chunk;
        }
      } catch (error) {
        return { text, error };
      }
      return { text };
    },
    /** The next chunk as the bytes written. */
    read: () => source.read(),
    cancel: (reason?: unknown) => source.cancel(reason),
  };
}

/** A whole response as text, read on `path`. */
export async function textOf(response: Response, path: Path = 'stream'): Promise<string> {
  if (path === 'stream') return response.text();
  return (await chunkReader(response, path).rest()).join('');
}

interface Reader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

function bodyReader(response: Response): Reader {
  const reader = response.body!.getReader();
  return { read: () => reader.read(), cancel: (reason) => reader.cancel(reason) };
}

/** What the sink was told, in order: bytes, then 'end', 'fail' or 'destroy'. */
function directReader(response: Response): Reader {
  const direct = directStream(response);
  if (!direct) throw new Error('this response offers no direct path');
  const chunks: Uint8Array[] = [];
  let finished: 'end' | 'fail' | 'destroy' | undefined;
  let waiting: (() => void) | undefined;
  const wake = () => {
    const resolve = waiting;
    waiting = undefined;
    resolve?.();
  };
  const attached = direct.attach({
    write(bytes) {
      if (finished) throw new Error('a write after the sink finished');
      chunks.push(bytes);
      wake();
      return false; // full until the next read, as a reader that is not reading
    },
    end: () => {
      finished = 'end';
      wake();
    },
    fail: () => {
      finished = 'fail';
      wake();
    },
    destroy: () => {
      finished = 'destroy';
      wake();
    },
  });
  // A stream that finished before an adapter could attach is read as a body.
  if (!attached) return bodyReader(response);
  return {
    async read() {
      if (chunks.length === 0 && !finished) {
        const arrived = new Promise<void>((resolve) => (waiting = resolve));
        direct.drained(); // a read: the sink takes one more write
        await arrived;
      }
      if (chunks.length > 0) return { done: false, value: chunks.shift()! };
      if (finished === 'destroy') throw new DOMException('the connection was cut', 'AbortError');
      if (finished === 'fail') throw new TypeError('the response ended broken');
      return { done: true, value: undefined };
    },
    async cancel() {
      direct.cancel();
      finished ??= 'end'; // as a cancelled reader: a pending read is done
      wake();
    },
  };
}

/** Lets pending promises and zero-delay timers run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A promise that never settles, like a stuck upstream. */
export const forever = () => new Promise<never>(() => {});
