/**
 * A source that produces one event per `release()`, and tells what it did:
 * how many events it produced, and whether its `finally` ran (the client left
 * and the close reached it). Lets a test prove that event 1 reached the
 * client before event 2 existed.
 */
export function gatedSource() {
  let permits = 0;
  let wake: (() => void) | undefined;
  let closed!: () => void;
  const state = {
    produced: 0,
    finished: new Promise<void>((resolve) => (closed = resolve)),
    finallyRan: false,
    /** Lets the source produce one more event, now or whenever it is next read. */
    release() {
      permits++;
      wake?.();
    },
    async *source({ signal }: { signal: AbortSignal }) {
      try {
        for (let n = 1; !signal.aborted; n++) {
          while (permits === 0 && !signal.aborted) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              signal.addEventListener('abort', () => resolve(), { once: true });
            });
          }
          if (signal.aborted) return;
          permits--;
          state.produced = n;
          yield { event: n % 2 ? 'odd' : 'even', id: n, data: { n } };
        }
      } finally {
        state.finallyRan = true;
        closed();
      }
    },
  };
  return state;
}

/** Reads a stream of bytes as SSE text until `text` contains `until`. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  until: string,
  decoder = new TextDecoder(),
): Promise<string> {
  let text = '';
  while (!text.includes(until)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`stream ended before ${JSON.stringify(until)}; got ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/** Resolves with `'timeout'` if `promise` has not settled after `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([promise, new Promise<'timeout'>((r) => setTimeout(r, ms, 'timeout'))]);
}

/** Collects a whole readable stream of items. */
export async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const items: T[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) items.push(r.value);
  return items;
}

/** A stream of the given items, then its end. */
export function streamOf<T>(items: T[]): ReadableStream<T> {
  return new ReadableStream({
    start(controller) {
      for (const item of items) controller.enqueue(item);
      controller.close();
    },
  });
}
