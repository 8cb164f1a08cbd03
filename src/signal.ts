/**
 * Waiting that honours an `AbortSignal`: the helpers every layer uses (the
 * server's streams and `every`, the client's reconnection, log tailing) and
 * that `ssekit` exports for sources to use.
 *
 * @module
 */

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
