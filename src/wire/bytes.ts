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
