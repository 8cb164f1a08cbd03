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
import type { Compressor, ContentEncoding } from '../src/middleware/compressor.ts';

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
  /**
   * Brotli quality, 0 to 11. Default 5: brotli's own default, 11, costs
   * milliseconds per event; 5 is faster than gzip 6 and still smaller.
   */
  brotliQuality?: number;
}

/**
 * A {@link Compressor} on `node:zlib` that `flushes`: with `{ flush: true }`
 * (what `compress()` asks for event streams) every chunk written, one event
 * from ssekit's encoder, is followed by a sync flush, so its compressed bytes
 * go out at once and the client decodes the event without waiting for the
 * next. The compression context is kept across events, so repeated keys and
 * values compress against earlier events: the bigger win on event streams.
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
  return {
    encodings,
    flushes: true,
    stream: (encoding, { flush }) =>
      _zlibStream(_create(encoding, level, brotliQuality), encoding === 'br', flush),
  };
}

function _create(encoding: ContentEncoding, level: number, quality: number) {
  if (encoding === 'br') {
    return createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: quality } });
  }
  return encoding === 'gzip' ? createGzip({ level }) : createDeflate({ level });
}

function _zlibStream(
  zlib: Gzip | Deflate | BrotliCompress,
  brotli: boolean,
  flush: boolean,
): TransformStream<Uint8Array, Uint8Array> {
  const kind = brotli ? constants.BROTLI_OPERATION_FLUSH : constants.Z_SYNC_FLUSH;
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
        if (flush) {
          zlib.write(chunk);
          zlib.flush(kind, () => done());
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
