/// <reference types="node" />
/**
 * Bytes of a file to lines, with where each line ends: what `tailFile`'s
 * follower and a catching-up stream read a file with.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { join } from '../../../src/wire/bytes.ts';

/** @internal Bytes read at a time, and looked back from the end for the last line break. */
export const CHUNK = 64 * 1024;

/**
 * @internal Where a line ends: the file (its inode) and the byte offset after
 * the line, as `ino:offset`; `tailLog` sends it as the event id.
 */
export const CURSOR = /^(\d+):(\d+)$/;

/** @internal The size and identity (inode, device) of a file, from its stats. */
export function identity(stats: { size: number; ino?: number | null; dev?: number | null }) {
  return { size: stats.size, ino: Number(stats.ino ?? 0), dev: Number(stats.dev ?? 0) };
}

/** @internal Up to `length` bytes of `file` from `position` (at most CHUNK). */
export async function readChunk(file: FileHandle, position: number, length: number) {
  const chunk = new Uint8Array(Math.min(length, CHUNK));
  const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
  return { chunk: chunk.subarray(0, bytesRead), read: bytesRead };
}

/**
 * @internal Turns chunks of bytes into complete lines, LF or CRLF. Lines are cut as
 * bytes (a UTF-8 character never contains the byte of LF), so each line's
 * end offset is known and a character split between reads is decoded whole.
 */
export class Lines {
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
      else yield line(bytes, at(base + start));
    }
    if (start === chunk.length) return;
    this.#parts.push(chunk.slice(start));
    this.#size += chunk.length - start;
    // A bound on memory: a line that never ends is yielded as it is so far.
    if (this.#size >= this.#max) {
      const bytes = this.#take(new Uint8Array(0));
      if (!this.skipFirst) yield line(bytes, at(end));
    }
  }

  /** The file is finished (rotated away): its unterminated last line counts as complete. */
  *end(cursor: string) {
    const bytes = this.#take(new Uint8Array(0));
    const skip = this.skipFirst;
    this.reset();
    if (bytes.length > 0 && !skip) yield line(bytes, cursor);
  }

  reset(): void {
    this.#parts = [];
    this.#size = 0;
    this.skipFirst = false;
  }

  /** The waiting bytes followed by `last`, as one array; nothing waits after. */
  #take(last: Uint8Array): Uint8Array {
    if (this.#parts.length === 0) return last;
    const parts = this.#parts;
    parts.push(last);
    const bytes = join(parts, this.#size + last.length)!;
    this.#parts = [];
    this.#size = 0;
    return bytes;
  }
}

const decoder = new TextDecoder();

function line(bytes: Uint8Array, cursor: string): [string, string] {
  const end = bytes.at(-1) === 0x0d ? bytes.length - 1 : bytes.length; // CRLF
  return [decoder.decode(bytes.subarray(0, end)), cursor];
}
