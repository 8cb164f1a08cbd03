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
import { _shared } from './tail-shared.ts';

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
  /** Bytes a line may reach without a newline before it is yielded as it is so far. Default 1 MiB. */
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
  const { from = 'end' } = options;
  _check(from === 'end' || from === 'start', "from must be 'end' or 'start'", from);
  for await (const [line] of _shared(path, options)) yield line;
}

/**
 * @internal Where a line ends: the file (its inode) and the byte offset after
 * the line, as `ino:offset`; `tailLog` sends it as the event id.
 */
export const _CURSOR = /^(\d+):(\d+)$/;

/** @internal {@link tailFile}, with the cursor after each line; `from` may be a cursor. */
export async function* _follow(
  path: string | URL,
  options: Omit<TailFileOptions, 'from'> & {
    from?: string;
    /** Told where reading starts: at first, and after each switch to a new file. */
    onPosition?: (cursor: string) => void;
  },
): AsyncGenerator<[line: string, cursor: string], void, undefined> {
  const { signal, from = 'end', onPosition } = options;
  const { pollMs, maxLineLength } = _checkOptions(options);
  if (signal?.aborted) return;
  let file: FileHandle = await open(path, 'r');
  try {
    // A file is known by its inode (0 where a platform has none: then only
    // truncation is noticed, not rotation).
    let { size, ino, dev } = _identity(await file.stat());
    const lines = new _Lines(maxLineLength);
    let position = 0;
    const cursor = _CURSOR.exec(from);
    if (cursor) {
      // Resume after that line if it is still there; else this file is a
      // newer one (rotated) or a shorter one (truncated): all of it is new.
      const offset = Number(cursor[2]);
      position = Number(cursor[1]) === ino && offset <= size ? offset : 0;
    } else if (from === 'end') {
      // Start after the last complete line: the one being written is still
      // yielded, whole, once its newline comes.
      const end = await _lastLineEnd(file, size);
      position = end ?? size;
      lines.skipFirst = end === undefined;
    }
    const at = (offset: number) => `${ino}:${offset}`;
    onPosition?.(at(position));
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
        yield* lines.push(chunk, position, at);
      }
      const named = await stat(path).then(_identity, () => undefined);
      if (named && (named.ino !== ino || named.dev !== dev)) {
        // Rotated: finish the old file (it may have grown since), then switch.
        for (let more = true; more && !signal?.aborted; ) {
          const { chunk, read } = await _read(file, position, _CHUNK);
          position += read;
          more = read > 0;
          yield* lines.push(chunk, position, at);
        }
        yield* lines.end(at(position));
        const next = await open(path, 'r').catch(() => undefined);
        if (next) {
          await file.close();
          file = next;
          ({ ino, dev } = _identity(await file.stat()));
          position = 0;
          onPosition?.(at(0));
          continue; // read the new file at once
        }
      }
      if (!(await sleep(pollMs, signal))) return;
    }
  } finally {
    await file.close().catch(() => {});
  }
}

/** @internal The polling options, checked, with their defaults. */
export function _checkOptions(options: Pick<TailFileOptions, 'pollMs' | 'maxLineLength'>) {
  const { pollMs = 300, maxLineLength = 1024 * 1024 } = options;
  _check(
    _isCount(pollMs) && pollMs < 2 ** 31,
    'pollMs must be a whole number of ms above 0',
    pollMs,
  );
  _check(_isCount(maxLineLength), 'maxLineLength must be a whole number above 0', maxLineLength);
  return { pollMs, maxLineLength };
}

export function _identity(stats: { size: number; ino?: number | null; dev?: number | null }) {
  return { size: stats.size, ino: Number(stats.ino ?? 0), dev: Number(stats.dev ?? 0) };
}

export async function _read(file: FileHandle, position: number, length: number) {
  const chunk = new Uint8Array(Math.min(length, _CHUNK));
  const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
  return { chunk: chunk.subarray(0, bytesRead), read: bytesRead };
}

/** Where the last complete line ends; undefined when none ends in the last 64 KiB. */
async function _lastLineEnd(file: FileHandle, size: number): Promise<number | undefined> {
  const start = Math.max(0, size - _CHUNK);
  const { chunk } = await _read(file, start, size - start);
  const at = chunk.lastIndexOf(0x0a);
  if (at >= 0) return start + at + 1;
  return start === 0 ? 0 : undefined;
}

/**
 * Turns chunks of bytes into complete lines, LF or CRLF. Lines are cut as
 * bytes (a UTF-8 character never contains the byte of LF), so each line's
 * end offset is known and a character split between reads is decoded whole.
 */
export class _Lines {
  /** Drop bytes up to the first line break: the tail of a line that began before us. */
  skipFirst = false;
  #parts: Uint8Array[] = [];
  #size = 0;
  #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** `end`: the file offset just after `chunk`. */
  *push(chunk: Uint8Array, end: number, at: (offset: number) => string) {
    const base = end - chunk.length;
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, start)) {
      const bytes = this.#take(chunk.subarray(start, lf));
      start = lf + 1;
      if (this.skipFirst) this.skipFirst = false;
      else yield _line(bytes, at(base + start));
    }
    if (start === chunk.length) return;
    this.#parts.push(chunk.slice(start));
    this.#size += chunk.length - start;
    // A bound on memory: a line that never ends is yielded as it is so far.
    if (this.#size >= this.#max) {
      const bytes = this.#take(new Uint8Array(0));
      if (!this.skipFirst) yield _line(bytes, at(end));
    }
  }

  /** The file is finished (rotated away): its unterminated last line counts as complete. */
  *end(cursor: string) {
    const bytes = this.#take(new Uint8Array(0));
    const skip = this.skipFirst;
    this.reset();
    if (bytes.length > 0 && !skip) yield _line(bytes, cursor);
  }

  reset(): void {
    this.#parts = [];
    this.#size = 0;
    this.skipFirst = false;
  }

  /** The waiting bytes followed by `last`, as one array; nothing waits after. */
  #take(last: Uint8Array): Uint8Array {
    if (this.#parts.length === 0) return last;
    const bytes = new Uint8Array(this.#size + last.length);
    let offset = 0;
    for (const part of [...this.#parts, last]) {
      bytes.set(part, offset);
      offset += part.length;
    }
    this.#parts = [];
    this.#size = 0;
    return bytes;
  }
}

const _decoder = new TextDecoder();

function _line(bytes: Uint8Array, cursor: string): [string, string] {
  const end = bytes.at(-1) === 0x0d ? bytes.length - 1 : bytes.length; // CRLF
  return [_decoder.decode(bytes.subarray(0, end)), cursor];
}

function _isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function _check(ok: boolean, message: string, value: unknown): void {
  if (!ok) throw new SSEOptionError(`tailFile(): ${message} (got ${String(value)})`);
}
