/**
 * Redis Streams as the log reads them: the log's ids (`<epoch>-<stream
 * id>`), the key of the epoch, the replies of `XREAD` (RESP2 and RESP3
 * shapes), and the entries the log wrote.
 *
 * @module
 */
import { need } from '../../../src/checks.ts';
import { type HubEntry, hubEntry } from '../../../src/hub/index.ts';

// The log's ids: the epoch, then a stream id as Redis writes it, each part
// at most 2^64 - 1.
const ID = /^([0-9a-z]{14})-((?:0|[1-9]\d{0,19})-(?:0|[1-9]\d{0,19}))$/;
const MAX_PART = 2n ** 64n - 1n;

/**
 * @internal The key of the stream's epoch, in the stream's Redis Cluster
 * slot (a script's keys must share one): a key with a hash tag (`{…}`, not
 * empty, the first `{` and the first `}` after it) is hashed on the tag,
 * which `key:epoch` keeps; any other key is hashed whole, which
 * `{key}:epoch` hashes too, as long as `key` has no `}` (it would end the
 * tag early). Such a key is refused.
 */
export function epochKey(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  if (close > open + 1) return key + ':epoch';
  need(
    !key.includes('}'),
    'key',
    'a key without "}" unless it has a hash tag',
    key,
    "Its epoch's key could not share its Redis Cluster slot: use a key such as 'app:events' or '{app}:events'.",
  );
  return '{' + key + '}:epoch';
}

/**
 * @internal The epoch and the stream id of a cursor, or undefined when it is
 * not an id of this log's shape or not one Redis can read after: a part
 * above 2^64 - 1 makes Redis raise an error, and so does the largest id of all.
 */
export function replayCursor(cursor: string): { epoch: string; id: string } | undefined {
  const match = ID.exec(cursor);
  if (!match) return undefined;
  const [ms, seq] = match[2]!.split('-').map(BigInt) as [bigint, bigint];
  const readable = ms <= MAX_PART && seq <= MAX_PART && !(ms === MAX_PART && seq === MAX_PART);
  return readable ? { epoch: match[1]!, id: match[2]! } : undefined;
}

/** @internal Orders two ids of the log, `<epoch>-<ms>-<seq>`, by their stream ids, as numbers. */
export function compareIds(a: string, b: string): number {
  const msA = a.indexOf('-') + 1;
  const msB = b.indexOf('-') + 1;
  const seqA = a.indexOf('-', msA) + 1;
  const seqB = b.indexOf('-', msB) + 1;
  return (
    Number(a.slice(msA, seqA - 1)) - Number(b.slice(msB, seqB - 1)) ||
    Number(a.slice(seqA)) - Number(b.slice(seqB))
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

/**
 * @internal An entry PUBLISH wrote (fields e, p, t, b, in that order), with
 * the log's id `<e>-<stream id>`, or undefined for any other (entries of
 * ssekit 0.2.0 have no epoch: they are another program's).
 */
export function ourEntry(raw: unknown): HubEntry | undefined {
  const [id, fields] = raw as [unknown, unknown];
  if (
    !Array.isArray(fields) ||
    fields.length !== 8 ||
    fields[0] !== 'e' ||
    fields[2] !== 'p' ||
    fields[4] !== 't' ||
    fields[6] !== 'b' ||
    typeof fields[1] !== 'string' ||
    !ID.test(`${fields[1]}-${id}`) ||
    typeof fields[5] !== 'string' ||
    typeof fields[7] !== 'string'
  ) {
    return undefined;
  }
  try {
    return hubEntry(`${fields[1]}-${id}`, fields[5].split('\n').filter(Boolean), fields[7]);
  } catch {
    return undefined; // its body is not one message: another program's entry
  }
}
