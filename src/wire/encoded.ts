import { isObject } from '../checks.ts';
import { SSEOptionError } from '../errors.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

// Held by this module alone: the constructor refuses a call without it, so an
// EncodedMessage always holds text that encodeMessage wrote or a hub log
// checked, never raw text that could carry fields nobody validated.
const TRUSTED = Symbol('EncodedMessage');

// Set by the class's static block: only code inside the class can read #bytes.
let bytesOf: (value: object) => Uint8Array | undefined;

/**
 * A message encoded once, ready to be sent to any number of streams: its
 * fields are validated and its data serialized a single time, and a stream
 * that sends it on its own writes these very bytes, without a copy. Make one
 * with {@link preEncode}; `sseResponse` sources, writers and
 * `SSEEncoderStream` accept it wherever they accept a message. Nothing else
 * makes one: an object made on its prototype is refused (`SSEFieldError`),
 * and what is sent is always the bytes `preEncode` wrote.
 *
 * @example
 * ```ts
 * const bytes: EncodedMessage = preEncode({ event: 'deploy', data: 'v2 is live' });
 * for (const writer of writers) writer.send(bytes);
 * ```
 */
export class EncodedMessage {
  // The brand: a private field exists only on objects this constructor made,
  // so `#bytes in value` cannot be faked the way `instanceof` can (by
  // Object.create on the prototype), and what is sent is read from it, never
  // from a property that could be redefined.
  readonly #bytes: Uint8Array;

  static {
    bytesOf = (value) => (#bytes in value ? value.#bytes : undefined);
  }

  /** Make one with {@link preEncode}: from raw text it throws `SSEOptionError`. */
  private constructor(text: string, token: symbol) {
    if (token !== TRUSTED) {
      throw new SSEOptionError(
        'new EncodedMessage(): expected preEncode(), got raw text. Use preEncode(message).',
      );
    }
    this.#bytes = encoder.encode(text);
  }

  /** The wire text as UTF-8, ending with the blank line that dispatches it. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /**
   * The wire text, decoded from `bytes` on each read: a message is kept once,
   * as bytes (a hub's log holds many, and streams send the bytes). A lone
   * surrogate in the message reads back as U+FFFD, as every client sees it.
   */
  get text(): string {
    return wireText(this.#bytes);
  }
}

/**
 * @internal The bytes of an EncodedMessage that ssekit made, or `undefined`
 * for anything else (a string, a message object, a forgery): the one check
 * every path that sends an EncodedMessage as it is makes, on every message.
 * A brand check that misses (every message object) costs about 15 ns on
 * Node 24, three times an `instanceof`: a message with `data` that is not
 * an instance skips it (an EncodedMessage has no `data` property of its own
 * making). Anything else is asked the brand, whatever its prototype says.
 */
export function encodedBytes(value: unknown): Uint8Array | undefined {
  if (!isObject(value)) return undefined;
  if ((value as { data?: unknown }).data !== undefined && !(value instanceof EncodedMessage)) {
    return undefined;
  }
  return bytesOf(value);
}

/** @internal The wire text of an EncodedMessage's bytes. */
export function wireText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * @internal An EncodedMessage of wire text that ssekit wrote or checked: one
 * whole message, its fields validated. Never pass a caller's text unchecked.
 */
export function fromWireText(text: string): EncodedMessage {
  return new (EncodedMessage as unknown as new (text: string, token: symbol) => EncodedMessage)(
    text,
    TRUSTED,
  );
}
