/// <reference types="node" />
/**
 * `tailFile`: follow a growing text file line by line, as `tail -F` does,
 * through `node:fs` only, so it runs on Node, Deno and Bun.
 *
 * @module
 */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { SSEOptionError } from '../src/errors.ts';
import { sleep } from '../src/server/signal.ts';

/**
 * Options of {@link tailFile}.
 *
 * @example
 * ```ts
 * tailFile('/var/log/app.log', { signal, from: 'start', pollMs: 1000 });
 * ```
 */
export interface TailFileOptions {
  /** Stops following at once when it aborts: the file is closed, no timer is left. */
  signal?: AbortSignal;
  /** `'end'` (default): only lines completed from now on; `'start'`: the whole file first. */
  from?: 'end' | 'start';
  /** Milliseconds between looks at the file. Default 300. */
  pollMs?: number;
  /** A line longer than this many characters is yielded in pieces of this length. Default 1 MiB. */
  maxLineLength?: number;
}

// Bytes read at a time, and looked back from the end for the last line break.
const _CHUNK = 64 * 1024;

/**
 * Follows a text file: yields each line once it is complete (a half-written
 * line waits for its newline), without its line break. Survives truncation
 * (it starts again at the top) and rotation (the path now names a new file:
 * the rest of the old one is read first, then the new one from its start).
 * The file must exist when the first line is asked for; after that it may
 * vanish for a while during a rotation.
 *
 * @example
 * ```ts
 * import { sseResponse } from 'ssekit';
 * import { tailFile } from 'ssekit/node';
 *
 * const handler = (request: Request) =>
 *   sseResponse(
 *     ({ signal }) => tailFile('app.log', { signal }), // each line a `data` event
 *     { request },
 *   );
 * ```
 */
export async function* tailFile(
  path: string | URL,
  options: TailFileOptions = {},
): AsyncGenerator<string, void, undefined> {
  const { signal, from = 'end', pollMs = 300, maxLineLength = 1024 * 1024 } = options;
  _check(from === 'end' || from === 'start', "from must be 'end' or 'start'", from);
  _check(
    _isCount(pollMs) && pollMs < 2 ** 31,
    'pollMs must be a whole number of ms above 0',
    pollMs,
  );
  _check(_isCount(maxLineLength), 'maxLineLength must be a whole number above 0', maxLineLength);
  if (signal?.aborted) return;
  let file: FileHandle = await open(path, 'r');
  try {
    let { size, ino, dev } = await file.stat();
    const lines = new _Lines(maxLineLength);
    let position = 0;
    if (from === 'end') {
      // Start after the last complete line: the one being written is still
      // yielded, whole, once its newline comes.
      position = await _lastLineEnd(file, size);
      lines.skipFirst = position === size && size > _CHUNK;
    }
    while (!signal?.aborted) {
      ({ size } = await file.stat());
      if (size < position) {
        position = 0; // truncated: what was half-read is gone with it
        lines.reset();
      }
      for (; position < size && !signal?.aborted; ) {
        const { chunk, read } = await _read(file, position, size - position);
        if (read === 0) break;
        position += read;
        yield* lines.push(chunk);
      }
      const named = await stat(path).catch(() => undefined);
      if (named && (named.ino !== ino || named.dev !== dev)) {
        // Rotated: finish the old file (it may have grown since), then switch.
        for (let more = true; more && !signal?.aborted; ) {
          const { chunk, read } = await _read(file, position, _CHUNK);
          position += read;
          more = read > 0;
          yield* lines.push(chunk);
        }
        yield* lines.end();
        const next = await open(path, 'r').catch(() => undefined);
        if (next) {
          await file.close();
          file = next;
          ({ ino, dev } = await file.stat());
          position = 0;
          continue; // read the new file at once
        }
      }
      if (!(await sleep(pollMs, signal))) return;
    }
  } finally {
    await file.close().catch(() => {});
  }
}

async function _read(file: FileHandle, position: number, length: number) {
  const chunk = new Uint8Array(Math.min(length, _CHUNK));
  const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
  return { chunk: chunk.subarray(0, bytesRead), read: bytesRead };
}

async function _lastLineEnd(file: FileHandle, size: number): Promise<number> {
  const start = Math.max(0, size - _CHUNK);
  const { chunk } = await _read(file, start, size - start);
  const at = chunk.lastIndexOf(0x0a);
  if (at >= 0) return start + at + 1;
  return start === 0 ? 0 : size;
}

/** Turns chunks of bytes into complete lines: UTF-8 decoded across chunk edges, LF or CRLF. */
class _Lines {
  /** Drop text up to the first line break: it is the tail of a line that began before us. */
  skipFirst = false;
  #decoder = new TextDecoder();
  #partial = '';
  #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  *push(chunk: Uint8Array): Generator<string> {
    const text = this.#partial + this.#decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    this.#partial = parts.pop()!;
    for (const line of parts) {
      if (this.skipFirst) this.skipFirst = false;
      else yield* this.#pieces(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    // A bound on memory: a line that never ends is yielded in pieces.
    while (this.#partial.length >= this.#max) {
      const piece = this.#partial.slice(0, this.#max);
      this.#partial = this.#partial.slice(this.#max);
      if (!this.skipFirst) yield piece;
    }
  }

  *#pieces(line: string): Generator<string> {
    if (line.length <= this.#max) yield line;
    else for (let at = 0; at < line.length; at += this.#max) yield line.slice(at, at + this.#max);
  }

  /** The file is finished (rotated away): its unterminated last line counts as complete. */
  *end(): Generator<string> {
    const rest = this.#partial + this.#decoder.decode();
    const skip = this.skipFirst;
    this.reset();
    if (rest !== '' && !skip) yield* this.#pieces(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  }

  reset(): void {
    this.#decoder = new TextDecoder();
    this.#partial = '';
    this.skipFirst = false;
  }
}

function _isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function _check(ok: boolean, message: string, value: unknown): void {
  if (!ok) throw new SSEOptionError(`tailFile(): ${message} (got ${String(value)})`);
}
