import { need, needFunction, refuse } from '../checks.ts';
import type { Middleware } from './compose.ts';
import { type Compressor, type ContentEncoding, webCompressor } from './compressor.ts';
import { isEventStream } from './detect.ts';

/**
 * Options of {@link compress}.
 *
 * @example
 * ```ts
 * compress({
 *   compressor: nodeCompressor(), // from ssekit/node/compress; default webCompressor()
 *   eventStreams: 'reset',        // compress event streams too, each event on its own
 *   encodings: ['gzip'],          // never brotli
 *   threshold: 2048,
 *   compressible: (type) => type.startsWith('application/json'),
 * });
 * ```
 */
export interface CompressOptions {
  /** Where compression streams come from. Default {@link webCompressor} (`CompressionStream`). */
  compressor?: Compressor;
  /** The encodings allowed, the server's preference first. Default: all the compressor has. */
  encodings?: readonly ContentEncoding[];
  /** Bodies of a known `content-length` below this many bytes are sent as they are. Default 1024. */
  threshold?: number;
  /** Which `content-type`s are worth compressing. Default: text, JSON, JavaScript, XML, SVG, WebAssembly. */
  compressible?: (contentType: string) => boolean;
  /**
   * Compress event streams too, flushing after every event so none waits for
   * the next. Needs a compressor that `flushes` (`nodeCompressor()` from
   * `ssekit/node/compress`). Default `false`: event streams pass untouched.
   *
   * - `true`: one compression context for the whole stream, so events
   *   compress against earlier ones (the smallest output). **It leaks
   *   secrets**: when a stream carries a secret (a token, a private message)
   *   and later text that someone else can choose (a chat message, a search
   *   echoed back), the compressed size of that later event shrinks when it
   *   repeats the secret, and an attacker who sees sizes on the wire can
   *   guess the secret piece by piece (BREACH). Use it only on streams that
   *   carry no secret, or no text an outsider controls.
   * - `'reset'`: the context is reset after every event (a zlib full
   *   flush), so each event's compressed size depends on that event alone;
   *   gzip and deflate only (brotli cannot reset), and larger output.
   *   Text an attacker injects into the same event as a secret still leaks.
   */
  eventStreams?: boolean | 'reset';
}

const COMPRESSIBLE =
  /^\s*(?:text\/|application\/(?:(?:[\w.-]*\+)?(?:json|xml|javascript|ecmascript)|wasm|x-javascript)\b|image\/svg\+xml|font\/(?:otf|ttf))/i;
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i;
const NO_BODY_STATUS = [101, 103, 204, 205, 206, 304];

/**
 * Compression middleware that knows event streams. Complete bodies and other
 * streams are compressed with the best encoding the client accepts (br, gzip
 * or deflate, as far as the compressor has them). Event streams pass through
 * untouched by default: a compressor that cannot flush would hold events
 * back until its buffer fills, which for a quiet stream is never. With
 * `eventStreams: true` and a flushing compressor they are compressed too,
 * one flush per event: on repetitive JSON events that saves well over half
 * the bytes for a few microseconds per event (`npm run bench:compress`).
 * A shared context leaks a secret sent earlier in the stream to whoever can
 * inject text later and watch sizes (BREACH): `eventStreams: 'reset'`
 * compresses each event on its own (see {@link CompressOptions.eventStreams}).
 *
 * Other live streams (NDJSON as `text/plain`) are compressed like complete
 * bodies, so a compressor that cannot flush holds their chunks back: mark them
 * `cache-control: no-transform` to keep them out.
 *
 * Left alone: `HEAD`, bodiless and `206` responses, responses already
 * encoded, `cache-control: no-transform` (except opted-in event streams,
 * which ssekit marks so for proxies), and bodies under `threshold`. Adds
 * `vary: accept-encoding` and makes a strong `etag` weak when it compresses.
 *
 * @example
 * ```ts
 * import { compose, compress, etag } from 'ssekit/middleware';
 * import { nodeCompressor } from 'ssekit/node/compress';
 *
 * const app = compose(compress(), etag())(handler); // event streams untouched
 * const node = compose(compress({ compressor: nodeCompressor(), eventStreams: 'reset' }))(handler);
 * ```
 */
export function compress(options: CompressOptions = {}): Middleware {
  const {
    compressor = webCompressor(),
    threshold = 1024,
    compressible = (type: string) => COMPRESSIBLE.test(type),
    eventStreams = false,
  } = options;
  need(
    typeof compressor?.stream === 'function' && Array.isArray(compressor.encodings),
    'compress: compressor',
    'an object { encodings, flushes, stream() }',
    compressor,
    'Pass webCompressor() or nodeCompressor(), or leave it out.',
  );
  const encodings = (options.encodings ?? compressor.encodings).filter((encoding) =>
    compressor.encodings.includes(encoding),
  );
  need(
    Number.isSafeInteger(threshold) && threshold >= 0,
    'compress: threshold',
    'a whole number of bytes, 0 or more',
    threshold,
  );
  needFunction(
    'compress: compressible',
    compressible,
    'Pass (contentType) => boolean, or leave it out.',
  );
  need(
    eventStreams === true || eventStreams === false || eventStreams === 'reset',
    'compress: eventStreams',
    "false, true or 'reset'",
    eventStreams,
  );
  if (eventStreams && !compressor.flushes) {
    refuse(
      'compress: eventStreams',
      'a compressor that flushes after every event',
      'one that cannot (CompressionStream cannot)',
      'On Node, Bun or Deno pass compressor: nodeCompressor() from ssekit/node/compress, or leave eventStreams off.',
    );
  }
  const reset = eventStreams === 'reset';
  // Event streams in reset mode: only the encodings whose context can be reset.
  const eventEncodings = reset
    ? encodings.filter((encoding) => compressor.resets?.includes(encoding))
    : encodings;
  if (reset && eventEncodings.length === 0) {
    refuse(
      "compress: eventStreams 'reset'",
      'an encoding the compressor can reset per event (resets)',
      'none',
      'Allow gzip or deflate with nodeCompressor().',
    );
  }
  return async (request, next) => {
    const response = await next();
    const { headers } = response;
    if (
      response.body === null ||
      request.method === 'HEAD' ||
      NO_BODY_STATUS.includes(response.status) ||
      headers.has('content-encoding')
    ) {
      return response;
    }
    const eventStream = isEventStream(response);
    if (eventStream ? !eventStreams : !eligible(response, compressible, threshold)) return response;
    const encoding = negotiate(
      request.headers.get('accept-encoding'),
      eventStream ? eventEncodings : encodings,
    );
    // Immutable headers (a fetch response) cannot be changed: copy them.
    const changed = new Headers(headers);
    // The choice depended on accept-encoding, whether or not it compressed.
    const vary = changed.get('vary');
    if (vary !== '*' && !/(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(vary ?? '')) {
      changed.set('vary', vary ? `${vary}, accept-encoding` : 'accept-encoding');
    }
    let body: ReadableStream<Uint8Array> = response.body;
    if (encoding !== undefined) {
      const flush = eventStream;
      // A chunk may hold several events (ssekit batches those ready at once):
      // a reset per event needs each event written on its own.
      if (flush && reset) body = body.pipeThrough(splitEvents());
      body = body.pipeThrough(compressor.stream(encoding, { flush, reset: flush && reset }));
      changed.set('content-encoding', encoding);
      changed.delete('content-length');
      const tag = changed.get('etag');
      // Another encoding of the same content: equal meaning, other bytes.
      if (tag?.startsWith('"')) changed.set('etag', `W/${tag}`);
    }
    return new Response(body as BodyInit, {
      status: response.status,
      statusText: response.statusText,
      headers: changed,
    });
  };
}

function eligible(
  response: Response,
  compressible: (type: string) => boolean,
  threshold: number,
): boolean {
  const type = response.headers.get('content-type');
  const length = response.headers.get('content-length');
  return (
    type !== null &&
    compressible(type) &&
    !NO_TRANSFORM.test(response.headers.get('cache-control') ?? '') &&
    !(length !== null && Number(length) < threshold)
  );
}

/**
 * The encoding to use: of those allowed, the one the client rates highest
 * (`gzip;q=0.8, br`), ties broken by the server's order; undefined when it
 * accepts none of them (or sent no accept-encoding: identity is then best).
 */
function negotiate(
  header: string | null,
  allowed: readonly ContentEncoding[],
): ContentEncoding | undefined {
  if (header === null) return undefined;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((item) => item.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (name && Number.isFinite(weight)) weights.set(name, weight);
  }
  let best: ContentEncoding | undefined;
  let bestWeight = 0;
  for (const encoding of allowed) {
    const weight = weights.get(encoding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) [best, bestWeight] = [encoding, weight];
  }
  return best;
}

/**
 * Cuts a stream of event-stream bytes after each blank line (LF LF, or
 * CRLF CRLF), so that every event is its own chunk; bytes after the last
 * blank line go on as they are.
 */
function splitEvents(): TransformStream<Uint8Array, Uint8Array> {
  let afterLF = false; // the last byte seen was an LF that ended a line
  return new TransformStream({
    transform(chunk, controller) {
      let start = 0;
      for (let at = 0; at < chunk.length; at++) {
        const byte = chunk[at];
        if (byte === 0x0a) {
          if (afterLF) {
            controller.enqueue(chunk.subarray(start, at + 1));
            start = at + 1;
            afterLF = false;
          } else {
            afterLF = true;
          }
        } else if (byte !== 0x0d) {
          afterLF = false;
        }
      }
      if (start < chunk.length) controller.enqueue(chunk.subarray(start));
    },
  });
}
