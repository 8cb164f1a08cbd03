/** @internal One chunk from the parts: the part itself when there is one, else a copy of all. */
export function join(parts: Uint8Array[], length: number): Uint8Array | undefined {
  if (parts.length < 2) return parts[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * @internal The length of `text` in UTF-8 bytes, without encoding it: a lone
 * surrogate counts 3, as the U+FFFD it is sent as.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a pair: 2 code units, 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}
