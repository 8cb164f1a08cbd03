/// <reference types="node" />
/**
 * One follower per file: every `tailFile` and `tailLog` of the same path
 * (and the same `pollMs` and `maxLineLength`) shares one open file and one
 * poll, however many streams follow it; the follower starts with the first
 * and stops when the last one leaves. Each stream keeps its own start (the
 * end, the start, or a resume cursor) and its own filter: what happened
 * before it joined, or while it fell behind, it reads from the file itself.
 *
 * @module
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { follow, pollOptions } from './tail-follow.ts';
import { CURSOR, identity, Lines, readChunk } from './tail-lines.ts';

type Line = [line: string, cursor: string];

/** Bytes of lines a stream may have waiting; past them it catches up from the file. */
const MAX_QUEUED = 1024 * 1024;

/** One stream's place in a follower. */
interface Reader {
  queue: Line[];
  bytes: number;
  /** Where the queue starts: the cursor of the last line taken, or a catch-up's end. */
  base: string | undefined;
  /** Set when the lines from here on must be read from the file (a start, or fallen behind). */
  gapFrom: string | undefined;
  wake: (() => void) | undefined;
}

interface Follower {
  readers: Set<Reader>;
  /** Where the lines sent so far end (the start position before any). */
  last: string;
  ready: Promise<void>;
  started: boolean;
  stop: AbortController;
  failure: { error: unknown } | undefined;
}

const followers = new Map<string, Follower>();

/** @internal How many files are being followed now (for tests). */
export const followerCount = (): number => followers.size;

/**
 * @internal `follow` through the follower shared by every stream of `path`:
 * the lines from `from` (`'end'`, `'start'` or a cursor) on, with their cursors.
 */
export async function* shared(
  path: string | URL,
  options: {
    signal?: AbortSignal;
    from?: string;
    pollMs?: number;
    maxLineLength?: number;
    maxQueued?: number;
  },
): AsyncGenerator<Line, void, undefined> {
  const { signal, from = 'end', maxQueued = MAX_QUEUED } = options;
  const { pollMs, maxLineLength } = pollOptions(options);
  if (signal?.aborted) return;
  const file = path instanceof URL ? fileURLToPath(path) : resolve(path);
  const key = `${file}\0${pollMs}\0${maxLineLength}`;
  const follower = followers.get(key) ?? startFollower(key, file, pollMs, maxLineLength, maxQueued);
  const reader: Reader = {
    queue: [],
    bytes: 0,
    base: undefined,
    gapFrom: from === 'end' ? undefined : from,
    wake: undefined,
  };
  follower.readers.add(reader);
  // Joining a running follower: its lines from now on are this stream's too.
  if (follower.started && reader.gapFrom === undefined) reader.base = follower.last;
  const onAbort = () => reader.wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    await follower.ready;
    reader.base ??= follower.last;
    while (!signal?.aborted) {
      if (reader.gapFrom !== undefined) {
        // Everything up to the follower's last line is in the file: read it
        // there; what comes after is queued from now on.
        const [start, end] = [reader.gapFrom, follower.last];
        Object.assign(reader, { gapFrom: undefined, queue: [], bytes: 0, base: end });
        for await (const line of readRange(file, start, end, maxLineLength)) {
          if (signal?.aborted) return;
          yield line;
        }
        continue;
      }
      const next = reader.queue.shift();
      if (next) {
        reader.bytes -= next[0].length;
        reader.base = next[1];
        yield next;
        continue;
      }
      if (follower.failure) throw follower.failure.error;
      await new Promise<void>((wake) => (reader.wake = wake));
      reader.wake = undefined;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    follower.readers.delete(reader);
    if (follower.readers.size === 0 && followers.get(key) === follower) {
      followers.delete(key);
      follower.stop.abort();
    }
  }
}

function startFollower(
  key: string,
  file: string,
  pollMs: number,
  maxLineLength: number,
  maxQueued: number,
): Follower {
  let started!: () => void;
  let failed!: (error: unknown) => void;
  const follower: Follower = {
    readers: new Set(),
    last: '0:0',
    ready: new Promise<void>((resolve, reject) => ([started, failed] = [resolve, reject])),
    started: false,
    stop: new AbortController(),
    failure: undefined,
  };
  follower.ready.catch(() => {}); // the readers are told
  followers.set(key, follower);
  const onPosition = (cursor: string) => {
    follower.last = cursor;
    if (follower.started) return;
    follower.started = true;
    for (const reader of follower.readers) if (reader.gapFrom === undefined) reader.base = cursor;
    started();
  };
  (async () => {
    const { signal } = follower.stop;
    for await (const line of follow(file, { signal, pollMs, maxLineLength, onPosition })) {
      follower.last = line[1];
      for (const reader of follower.readers) offer(reader, line, maxQueued);
    }
  })().catch((error: unknown) => {
    follower.failure = { error };
    failed(error);
    if (followers.get(key) === follower) followers.delete(key);
    for (const reader of follower.readers) reader.wake?.();
  });
  return follower;
}

/** Queues a line for a reader; one that falls too far behind reads the file instead. */
function offer(reader: Reader, line: Line, maxQueued: number): void {
  if (reader.gapFrom !== undefined || reader.base === undefined) return; // reading the file
  if (reader.queue.length > 0 && reader.bytes + line[0].length > maxQueued) {
    // A slow stream never holds the others back, nor grows without bound.
    Object.assign(reader, { gapFrom: reader.base, queue: [], bytes: 0 });
  } else {
    reader.queue.push(line);
    reader.bytes += line[0].length;
  }
  reader.wake?.();
}

/**
 * The lines of `file` after `from` up to `end` (cursors): from the start
 * when `from` is `'start'`, another file (rotated) or past `end`
 * (truncated). Nothing when the file is no longer the one `end` is in.
 */
async function* readRange(
  file: string,
  from: string,
  end: string,
  maxLineLength: number,
): AsyncGenerator<Line, void, undefined> {
  const [, endIno = '', endOffset = '0'] = CURSOR.exec(end) ?? [];
  const [, fromIno, fromOffset] = CURSOR.exec(from) ?? [];
  const stop = Number(endOffset);
  let position = fromIno === endIno && Number(fromOffset) <= stop ? Number(fromOffset) : 0;
  const lines = new Lines(maxLineLength);
  const at = (offset: number) => `${endIno}:${offset}`;
  while (position < stop) {
    // Opened for each chunk: a reader paused mid-range holds no file open.
    const handle = await open(file, 'r');
    let chunk: Uint8Array;
    try {
      if (String(identity(await handle.stat()).ino) !== endIno) return;
      ({ chunk } = await readChunk(handle, position, stop - position));
    } finally {
      await handle.close();
    }
    if (chunk.length === 0) return;
    position += chunk.length;
    yield* lines.push(chunk, position, at);
  }
}
