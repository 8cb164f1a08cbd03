// The Last-Event-ID request header, as the reconnecting client sends it.

/** The longest `Last-Event-ID` sent, in UTF-8 bytes: what ssekit's server accepts. @internal */
export const MAX_ID_BYTES = 1024;

/**
 * The `Last-Event-ID` header value for an id: its UTF-8 bytes, one char per
 * byte, since `Headers` accepts only byte strings ("…" becomes the three
 * bytes E2 80 A6 on the wire, as browsers send it). `undefined` for an id
 * past {@link MAX_ID_BYTES}: servers take one that long as absent, and it
 * would cost its size again on every reconnection.
 * @internal
 */
export function headerBytes(text: string): string | undefined {
  // A UTF-16 code unit is at least one UTF-8 byte: skip encoding a huge id.
  if (text.length > MAX_ID_BYTES) return undefined;
  const bytes = new TextEncoder().encode(text);
  // At most 1,024 arguments: well within what one call takes.
  return bytes.length > MAX_ID_BYTES ? undefined : String.fromCharCode(...bytes);
}
