/**
 * Makes any promise honour an `AbortSignal`: the returned promise settles like
 * `promise`, or rejects with `signal.reason` as soon as the signal aborts.
 * JavaScript cannot interrupt an `await`; a generator parked on a promise that
 * honours the stream's signal is resumed at once when the client leaves, so its
 * `finally` runs right away.
 *
 * @example
 * ```ts
 * sseResponse(async function* ({ signal }) {
 *   try {
 *     while (true) yield await abortable(queue.next(), signal);
 *   } finally {
 *     queue.release(); // runs as soon as the client leaves
 *   }
 * });
 * ```
 */
export function abortable<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Waits `ms` milliseconds, or less if `signal` aborts first. Resolves `true`
 * after a full wait and `false` on abort; it never rejects and leaves no timer
 * behind, so `while (await sleep(1000, signal))` loops end cleanly.
 *
 * @example
 * ```ts
 * sseResponse(async function* ({ signal }) {
 *   do yield { event: 'time', data: Date.now() };
 *   while (await sleep(1000, signal));
 * });
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Watch {
  callbacks: Set<() => void>;
  listener: () => void;
}
const watches = new WeakMap<AbortSignal, Watch>();

/**
 * @internal Calls `callback` when `signal` aborts, and returns the function
 * that stops watching. However many streams share one signal (a server's
 * shutdown signal passed to every stream), it carries a single listener, so
 * there is no per-stream listener on it and no leak warning from runtimes
 * that count them; the listener goes when the last watcher does.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let watch = watches.get(signal);
  if (!watch) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      watches.delete(signal);
      for (const watcher of callbacks) watcher();
    };
    watch = { callbacks, listener };
    watches.set(signal, watch);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { callbacks, listener } = watch;
  callbacks.add(callback);
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    watches.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
