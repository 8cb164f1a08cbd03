// Internal plumbing of the server's streams and the Node adapter: one abort
// listener per signal, however many streams watch it.

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
