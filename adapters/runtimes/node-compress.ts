/// <reference types="node" />
/**
 * ssekit/node/compress: a flushing compressor for `compress()`, built on
 * `node:zlib`, which can flush after every write (`CompressionStream`
 * cannot). It lets `compress({ eventStreams: true })` compress event streams
 * without holding any event back. It runs wherever `node:zlib` does: Node,
 * Bun and Deno.
 *
 * @module
 */
import {
  type BrotliCompress,
  constants,
  createBrotliCompress,
  createDeflate,
  createGzip,
  type Deflate,
  type Gzip,
} from 'node:zlib';
import { refuse } from '../../src/checks.ts';
import type { Compressor, ContentEncoding } from '../../src/middleware/compressor.ts';

/**
 * Options of {@link nodeCompressor}.
 *
 * @example
 * ```ts
 * nodeCompressor({ encodings: ['gzip'], level: 4 }); // gzip only, a bit faster
 * ```
 */
export interface NodeCompressorOptions {
  /** The encodings offered, the server's preference first. Default `['br', 'gzip', 'deflate']`. */
  encodings?: readonly ContentEncoding[];
  /** gzip and deflate level, 1 (fast) to 9 (small). Default 6, zlib's own. */
  level?: number;
  /** Brotli quality of complete bodies, 0 to 11. Default 5: brotli's own, 11, is slow. */
  brotliQuality?: number;
  /**
   * What each event stream's compressor may hold; it lives as long as the
   * stream. zlib's `windowBits` (9 to 15) and `memLevel` (1 to 9); brotli's
   * window `brotliWindow` (10 to 24 bits) and `brotliQuality` (0 to 11, whose
   * hash tables are most of brotli's memory). Default
   * `{ windowBits: 12, memLevel: 5, brotliWindow: 12, brotliQuality: 3 }`:
   * about 180 KiB a stream with gzip and 400 KiB with brotli where zlib's and
   * brotli's defaults cost 310 KiB and 1.1 MiB, for about the same bytes on
   * small events (a plain stream costs about 45 KiB).
   */
  events?: {
    windowBits?: number;
    memLevel?: number;
    brotliWindow?: number;
    brotliQuality?: number;
  };
}

/** The range each number option may take, and what it is. */
// Output buffer of an event stream's compressor: events are small, and a
// bigger output is just split into more chunks.
const EVENT_CHUNK = 4096;

/**
 * A {@link Compressor} on `node:zlib` that `flushes`: with `{ flush: true }`
 * (what `compress()` asks for event streams) every chunk written, one event
 * from ssekit's encoder, is followed by a sync flush, so its compressed bytes
 * go out at once and the client decodes the event without waiting for the
 * next. The compression context is kept across events, so repeated keys and
 * values compress against earlier events: the bigger win on event streams,
 * and a leak of earlier secrets to whoever injects text later (BREACH).
 * With `{ flush: true, reset: true }` (`compress({ eventStreams: 'reset' })`)
 * gzip and deflate end every event with a full flush instead, which forgets
 * all that came before; brotli cannot, so it is not among `resets`.
 *
 * @example
 * ```ts
 * import { compose, compress } from 'ssekit/middleware';
 * import { serve } from 'ssekit/node';
 * import { nodeCompressor } from 'ssekit/node/compress';
 *
 * const app = compose(compress({ compressor: nodeCompressor(), eventStreams: true }))(handler);
 * await serve(app, { port: 3000 });
 * ```
 */
export function nodeCompressor(options: NodeCompressorOptions = {}): Compressor {
  const { encodings = ['br', 'gzip', 'deflate'], level = 6, brotliQuality = 5 } = options;
  const events = options.events ?? {};
  const { windowBits = 12, memLevel = 5, brotliWindow = 12 } = events;
  const eventBrotliQuality = events.brotliQuality ?? 3;
  // Each number option and its range: [name, value, min, max].
  const numbers = [
    ['level', level, 1, 9],
    ['brotliQuality', brotliQuality, 0, 11],
    ['events.windowBits', windowBits, 9, 15],
    ['events.memLevel', memLevel, 1, 9],
    ['events.brotliWindow', brotliWindow, 10, 24],
    ['events.brotliQuality', eventBrotliQuality, 0, 11],
  ] as const;
  for (const [name, value, min, max] of numbers) {
    if (!(Number.isInteger(value) && value >= min && value <= max)) {
      // Said here rather than by describe(), which this small entry does
      // without: a number as it is, anything else by its type, so that '6'
      // (from an environment variable, say) does not read as a 6 refused.
      const got = typeof value === 'number' ? value : typeof value;
      refuse(`nodeCompressor: ${name}`, `a whole number from ${min} to ${max}`, got);
    }
  }
  return {
    encodings,
    flushes: true,
    resets: encodings.filter((encoding) => encoding !== 'br'),
    stream: (encoding, { flush, reset = false }) => {
      if (encoding === 'br') {
        const params: Record<number, number> = flush
          ? {
              [constants.BROTLI_PARAM_QUALITY]: eventBrotliQuality,
              [constants.BROTLI_PARAM_LGWIN]: brotliWindow,
            }
          : { [constants.BROTLI_PARAM_QUALITY]: brotliQuality };
        const brotli = createBrotliCompress({ params, ...(flush && { chunkSize: EVENT_CHUNK }) });
        return zlibStream(brotli, flush && constants.BROTLI_OPERATION_FLUSH);
      }
      const memory = flush ? { windowBits, memLevel, chunkSize: EVENT_CHUNK } : {};
      const zlib =
        encoding === 'gzip'
          ? createGzip({ level, ...memory })
          : createDeflate({ level, ...memory });
      // A full flush also forgets the history: nothing after it refers back.
      return zlibStream(zlib, flush && (reset ? constants.Z_FULL_FLUSH : constants.Z_SYNC_FLUSH));
    },
  };
}

/** `flush`: the flush after every chunk written, or `false` for none. */
function zlibStream(
  zlib: Gzip | Deflate | BrotliCompress,
  flush: number | false,
): TransformStream<Uint8Array, Uint8Array> {
  let failed: unknown;
  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel?: () => void } = {
    start(controller) {
      // zlib emits a flush's output before the flush callback: enqueue as it comes.
      zlib.on('data', (chunk: Buffer) => {
        try {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch {
          // Cancelled while zlib still had output: nobody wants it.
          zlib.destroy();
        }
      });
      zlib.on('error', (error) => {
        failed = error;
        controller.error(error);
      });
    },
    transform(chunk) {
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error | null) =>
          error || failed ? reject(error ?? failed) : resolve();
        if (flush !== false) {
          zlib.write(chunk);
          zlib.flush(flush, () => done());
        } else {
          zlib.write(chunk, done);
        }
      });
    },
    flush() {
      return new Promise<void>((resolve, reject) => {
        zlib.once('end', resolve).once('error', reject).end();
      });
    },
    // The client left (where the runtime tells transformers; elsewhere the
    // zlib handle is freed with the stream).
    cancel: () => void zlib.destroy(),
  };
  return new TransformStream(transformer);
}
