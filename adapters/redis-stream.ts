/**
 * Redis Streams as the log reads them: stream ids, the replies of `XREAD`
 * (RESP2 and RESP3 shapes), and the entries the log wrote.
 *
 * @module
 */
import { type HubEntry, hubEntry } from '../src/hub/index.ts';

// Stream ids as Redis writes them, each part at most 2^64 - 1.
const STREAM_ID = /^(?:0|[1-9]\d{0,19})-(?:0|[1-9]\d{0,19})$/;
const MAX_PART = 2n ** 64n - 1n;

/**
 * @internal The cursor for the replay script, or '' when it is not a stream id Redis
 * can read after: a part above 2^64 - 1 makes Redis raise an error, and so
 * does the largest id of all.
 */
/** @internal */
export function replayCursor(cursor: string): string {
  if (!STREAM_ID.test(cursor)) return '';
  const [ms, seq] = cursor.split('-').map(BigInt) as [bigint, bigint];
  return ms <= MAX_PART && seq <= MAX_PART && !(ms === MAX_PART && seq === MAX_PART) ? cursor : '';
}

/** @internal Orders two stream ids, `<ms>-<seq>`, as numbers. */
export function compareIds(a: string, b: string): number {
  const dashA = a.indexOf('-');
  const dashB = b.indexOf('-');
  return (
    Number(a.slice(0, dashA)) - Number(b.slice(0, dashB)) ||
    Number(a.slice(dashA + 1)) - Number(b.slice(dashB + 1))
  );
}

/** @internal The entries of the one stream in an `XREAD` reply, RESP2 or RESP3 shaped. */
export function streamEntries(reply: unknown): unknown[] {
  if (reply == null) return [];
  if (reply instanceof Map) return ([...reply.values()][0] as unknown[]) ?? [];
  // RESP2: [[key, entries]]; RESP3 maps flattened (ioredis): [key, entries].
  if (Array.isArray(reply)) {
    return (
      ((typeof reply[0] === 'string' ? reply[1] : (reply[0] as unknown[])?.[1]) as unknown[]) ?? []
    );
  }
  return (Object.values(reply as object)[0] as unknown[]) ?? [];
}

/** @internal An entry PUBLISH wrote (fields p, t, b, in that order), or undefined for any other. */
export function ourEntry(raw: unknown): HubEntry | undefined {
  const [id, fields] = raw as [unknown, unknown];
  if (
    !Array.isArray(fields) ||
    fields.length !== 6 ||
    fields[0] !== 'p' ||
    fields[2] !== 't' ||
    fields[4] !== 'b' ||
    typeof fields[3] !== 'string' ||
    typeof fields[5] !== 'string'
  ) {
    return undefined;
  }
  try {
    return hubEntry(String(id), fields[3].split('\n').filter(Boolean), fields[5]);
  } catch {
    return undefined; // its body is not one message: another program's entry
  }
}
