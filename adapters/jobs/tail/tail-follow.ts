/// <reference types="node" />
/**
 * Following one file as `tail -F` does, through `node:fs` only (so it runs
 * on Node, Deno and Bun): each complete line once, across truncation and
 * rotation, with the cursor after it.
 *
 * @module
 */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { isDelay, need, needCount } from '../../../src/checks.ts';
import { sleep } from '../../../src/signal.ts';
import { CHUNK, CURSOR, identity, Lines, readChunk } from './tail-lines.ts';

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

/** @internal `tailFile`, with the cursor after each line; `from` may be a cursor. */
export async function* follow(
  path: string | URL,
  options: Omit<TailFileOptions, 'from'> & {
    from?: string;
    /** Told where reading starts: at first, and after each switch to a new file. */
    onPosition?: (cursor: string) => void;
  },
): AsyncGenerator<[line: string, cursor: string], void, undefined> {
  const { signal, from = 'end', onPosition } = options;
  const { pollMs, maxLineLength } = pollOptions(options);
  if (signal?.aborted) return;
  let file: FileHandle = await open(path, 'r');
  try {
    // A file is known by its inode (0 where a platform has none: then only
    // truncation is noticed, not rotation).
    let { size, ino, dev } = identity(await file.stat());
    const lines = new Lines(maxLineLength);
    let position = 0;
    const cursor = CURSOR.exec(from);
    if (cursor) {
      // Resume after that line if it is still there; else this file is a
      // newer one (rotated) or a shorter one (truncated): all of it is new.
      const offset = Number(cursor[2]);
      position = Number(cursor[1]) === ino && offset <= size ? offset : 0;
    } else if (from === 'end') {
      // Start after the last complete line: the one being written is still
      // yielded, whole, once its newline comes.
      const end = await lastLineEnd(file, size);
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
        const { chunk, read } = await readChunk(file, position, size - position);
        if (read === 0) break;
        position += read;
        yield* lines.push(chunk, position, at);
      }
      const named = await stat(path).then(identity, () => undefined);
      if (named && (named.ino !== ino || named.dev !== dev)) {
        // Rotated: finish the old file (it may have grown since), then switch.
        for (let more = true; more && !signal?.aborted; ) {
          const { chunk, read } = await readChunk(file, position, CHUNK);
          position += read;
          more = read > 0;
          yield* lines.push(chunk, position, at);
        }
        yield* lines.end(at(position));
        const next = await open(path, 'r').catch(() => undefined);
        if (next) {
          await file.close();
          file = next;
          ({ ino, dev } = identity(await file.stat()));
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
export function pollOptions(options: Pick<TailFileOptions, 'pollMs' | 'maxLineLength'>) {
  const { pollMs = 300, maxLineLength = 1024 * 1024 } = options;
  need(
    Number.isSafeInteger(pollMs) && isDelay(pollMs),
    'tailFile: pollMs',
    'a whole number of milliseconds above 0',
    pollMs,
  );
  needCount('tailFile: maxLineLength', maxLineLength);
  return { pollMs, maxLineLength };
}

/** Where the last complete line ends; undefined when none ends in the last 64 KiB. */
async function lastLineEnd(file: FileHandle, size: number): Promise<number | undefined> {
  const start = Math.max(0, size - CHUNK);
  const { chunk } = await readChunk(file, start, size - start);
  const at = chunk.lastIndexOf(0x0a);
  if (at >= 0) return start + at + 1;
  return start === 0 ? 0 : undefined;
}
