/**
 * A `content-encoding` that {@link compress} can produce.
 *
 * @example
 * ```ts
 * const preferred: ContentEncoding[] = ['br', 'gzip'];
 * ```
 */
export type ContentEncoding = 'br' | 'gzip' | 'deflate';

/**
 * Where `compress()` gets its compression streams. The default,
 * {@link webCompressor}, uses the web-standard `CompressionStream`, which
 * cannot flush, so it never touches event streams. A compressor that
 * `flushes` (Node's zlib, through `nodeCompressor()` from
 * `ssekit/node/compress`, also on Bun and Deno) can compress event streams
 * too, emitting every event as soon as it is written.
 *
 * @example
 * ```ts
 * // Any TransformStream factory fits, e.g. a WebAssembly zstd build:
 * const custom: Compressor = {
 *   encodings: ['gzip'],
 *   flushes: false,
 *   stream: () => new CompressionStream('gzip'),
 * };
 * ```
 */
export interface Compressor {
  /** The encodings it produces, the server's preference first. */
  readonly encodings: readonly ContentEncoding[];
  /** Whether `stream(encoding, { flush: true })` emits each written chunk whole and at once. */
  readonly flushes: boolean;
  /**
   * The encodings whose context `stream(encoding, { flush: true, reset: true })`
   * can reset after every chunk (what `compress({ eventStreams: 'reset' })`
   * needs). Default: none.
   */
  readonly resets?: readonly ContentEncoding[];
  /**
   * A stream that compresses into `encoding`. With `flush`, every chunk
   * written comes out at once, decodable up to its last byte (a zlib sync
   * flush): one event in, one compressed event out. With `reset` too, each
   * chunk is compressed as if it were the first (a zlib full flush), so its
   * compressed size depends on that chunk alone.
   */
  stream(
    encoding: ContentEncoding,
    options: { flush: boolean; reset?: boolean },
  ): ReadableWritablePair<Uint8Array, Uint8Array>;
}

// CompressionStream names brotli 'brotli', where HTTP says 'br'.
const FORMATS = { br: 'brotli', gzip: 'gzip', deflate: 'deflate' } as const;

/**
 * The web-standard compressor: `CompressionStream` with the encodings this
 * runtime supports (gzip and deflate nearly everywhere, brotli where the
 * runtime offers it). It cannot flush, so `compress()` leaves event streams
 * alone with it. Where `CompressionStream` is missing, it has no encodings
 * and `compress()` passes everything through.
 *
 * @example
 * ```ts
 * webCompressor().encodings; // e.g. ['gzip', 'deflate'] on Node 20
 * ```
 */
export function webCompressor(): Compressor {
  const encodings = (['br', 'gzip', 'deflate'] as const).filter(supported);
  return {
    encodings,
    flushes: false,
    stream: (encoding) =>
      new CompressionStream(FORMATS[encoding] as CompressionFormat) as ReadableWritablePair<
        Uint8Array,
        Uint8Array
      >,
  };
}

function supported(encoding: ContentEncoding): boolean {
  if (typeof CompressionStream !== 'function') return false;
  try {
    new CompressionStream(FORMATS[encoding] as CompressionFormat);
    return true;
  } catch {
    return false;
  }
}
