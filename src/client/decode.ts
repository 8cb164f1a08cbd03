// UTF-8 decoding of event-stream bytes, shared by SSEParserStream and readEvents.

const STREAM = { stream: true };

/**
 * @internal A UTF-8 decoder for a byte stream, chunk by chunk: a character
 * cut across chunks waits for its end, bad bytes become U+FFFD, and a BOM is
 * kept for the parser, which strips exactly one.
 */
export function createDecoder(): (bytes: Uint8Array) => string {
  // UTF-8, the default (no label: a few bytes less in every reader).
  const decoder = new TextDecoder(undefined, { ignoreBOM: true });
  return (bytes) => decoder.decode(bytes, STREAM);
}
