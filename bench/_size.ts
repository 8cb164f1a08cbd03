/**
 * Bundle size, measured one way everywhere: an entry is bundled by esbuild
 * (minified, tree-shaken, platform-neutral, `node:*` left out) with only what
 * it imports from this package, then gzipped at level 9 by node:zlib. Both
 * steps are deterministic, so `npm test` checks the budgets below, and the
 * size benchmark measures the peers with this very function.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** What one measurement found, in bytes. */
export interface Size {
  minified: number;
  gzipped: number;
}

/**
 * Measures the code that `source` (an ES module, usually one `export ... from`
 * line) pulls in. Paths are relative to the repository root.
 */
export async function measure(source: string, root = process.cwd()): Promise<Size> {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    treeShaking: true,
    platform: 'neutral',
    format: 'esm',
    target: 'es2022',
    // Neutral resolves no package fields by itself; peers publish ESM under these.
    mainFields: ['module', 'main'],
    conditions: ['import', 'default'],
    // Runtime built-ins: node:* and workerd's cloudflare:workers.
    external: ['node:*', 'cloudflare:*'],
    write: false,
    logLevel: 'error',
  });
  const code = result.outputFiles[0]!.contents;
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength };
}

/** One entry point (or one slice of it) and its budget in gzipped bytes. */
export interface Budget {
  name: string;
  source: string;
  /** Fails `npm test` when exceeded: a regression guard at today's size plus a little. */
  budget: number;
  /** The target where it names one, in gzipped bytes. */
  target?: number;
}

/**
 * The budgets, in one place. Each is the measured size rounded up by about
 * 2%, so any real growth fails the test and has to be argued for here.
 */
export const BUDGETS: Budget[] = [
  // Issue 13 (hostile peers) grew the core: the retry bound, data that is never
  // serializable, an overflow that errors the body, the 'timeout' close reason.
  // Issue 21: EncodedMessage's brand (a private field, read on every path that
  // sends one) and the SSEFieldError for one preEncode did not make.
  // Issue 26: a relay's stream ends broken when its source fails (the close
  // path's `fail`), and a pulled source may hand a step over without a promise;
  // encodeMessage checks a message's fields in a function of their own, which
  // a relay calls with its fields at hand (+0.01 KB, 4% of its CPU on Node 24);
  // the brand is asked only of what may be an EncodedMessage (a message with
  // data skips it: 12-15% faster encoding on Node 24), and an EncodedMessage's
  // text is read from its bytes, whatever its prototype or own properties say.
  { name: 'ssekit', source: "export * from './src/index.ts'", budget: 5780 },
  {
    name: 'sseResponse + encodeMessage',
    source: "export { sseResponse, encodeMessage } from './src/index.ts'",
    budget: 5360,
    target: 1900,
  },
  // Issue 13 (hostile peers) grew the reader: limits checked when made,
  // grouped joins so memory follows the wire, a readable that delivers the
  // events before an error, clamped and floored reconnection timing.
  // Issue 21: connect resolves its URL (the base option, the page's base) and
  // refuses one it cannot fetch; readers take a Response and refuse anything
  // else, or a body already read, as connect does what its fetch returns.
  {
    name: 'ssekit/client',
    source: "export * from './src/client/index.ts'",
    // Issue 26: readEvents hands out events without a generator step each
    // (its own iterator, which keeps a generator's guarantees); the body
    // reader is one object (a class), +0.06 KB for about 0.3 KiB less
    // memory per stream read.
    budget: 4620,
    target: 3000,
  },
  {
    name: 'SSEParserStream',
    source: "export { SSEParserStream } from './src/client/index.ts'",
    // Issue 26: no larger than eventsource-parser's EventSourceParserStream
    // (1,564 bytes, 3.1.1): two streams of its own, no TransformStream.
    budget: 1564,
    target: 1500,
  },
  // Paged replay (issue 13): the subscription reads its replay page by page.
  // Issue 15: hubEntry checks the text it is given (one message, one id line)
  // and EncodedMessage refuses raw text; both add a check and a message.
  // Issue 21: the memory log's random epoch, and topics bounded per call and
  // in length (maxTopics, maxTopicLength, two messages).
  // Issue 26: encodeMessage's field checks in a function of their own (see ssekit).
  { name: 'ssekit/hub', source: "export * from './src/hub/index.ts'", budget: 5660, target: 3000 },
  // Resumable streams (issue 23): readers are event streams and producers
  // parse SSE text, so the entry carries sseResponse and SSEParserStream
  // (about 7 KB of it); the store, producer and reader are the rest, with
  // the retries of a failing store, the idle timeout and the fenced checks,
  // and a reader that takes the entries a notice carries.
  {
    name: 'ssekit/resumable',
    source: "export * from './src/resumable/index.ts'",
    // Issue 26: encodeMessage's checks and the brand (see ssekit).
    budget: 10520,
  },
  // MCP event stores (issue 24): the SDK's EventStore on a session's log,
  // and the memory log; storeEvent waits a task during a replay, so the SDK
  // registers the resumed stream before an event stored meanwhile looks for it.
  { name: 'ssekit/mcp', source: "export * from './src/mcp/index.ts'", budget: 2150 },
  // compress(): eventStreams 'reset' splits a batch into its events, and
  // transformEvents carries SSEParserStream with issue 13's limits.
  // Issue 21: transformEvents refuses a body already read (the readers' check),
  // and sseResponse carries EncodedMessage's brand.
  // Issue 26: a relay of filterEvents and mapEvents is one pass per event (the
  // relay's own source and the body reader), no longer SSEParserStream; then
  // the relay writes by itself (an outlet source: each upstream chunk's
  // events encoded as they come, one write), +0.23 KB for about a tenth
  // less CPU per relayed event (Node 20 and 24); then +0.06 KB: the relay
  // source as a class, 0.7 KiB less a stream, and a relayed event encoded
  // from its fields, no message object made for it, 4% less CPU (Node 24).
  { name: 'ssekit/middleware', source: "export * from './src/middleware/index.ts'", budget: 10490 },
  // The direct path (issue 14) adds the lazy request and the direct writer;
  // issue 21 serve's limits, the kernel's count for writeTimeout and the
  // request body's own file. Issue 22: the log tail is no longer re-exported
  // (ssekit/tail), which took 6.9 KB off.
  {
    name: 'ssekit/node',
    source: "export * from './adapters/runtimes/node/index.ts'",
    budget: 4020,
  },
  {
    name: 'ssekit/node/compress',
    source: "export * from './adapters/runtimes/node-compress.ts'",
    // Typed errors for its number options (the error classes come with them),
    // said through refuse(): describe() stays out.
    budget: 975,
  },
  // Issue 15: Deno and Bun share one body wrapper and the one content-type test.
  { name: 'ssekit/deno', source: "export * from './adapters/runtimes/deno.ts'", budget: 435 },
  // The direct path into Bun's direct streams (bun-direct.ts).
  { name: 'ssekit/bun', source: "export * from './adapters/runtimes/bun/index.ts'", budget: 850 },
  { name: 'ssekit/workers', source: "export * from './adapters/runtimes/workers.ts'", budget: 415 },
  // The replay script pages and passes over entries it did not write (issue 13).
  // Issue 15: the shared checker and sleep, and every entry read back checked.
  // Issue 21: ids carry the stream's epoch: its key in the stream's Cluster
  // slot (and the refusal of a key that cannot have one), kept by both scripts.
  // Issue 23: createRedisStreamStore, the store of resumable streams (its six
  // Lua scripts, about 1.1 KB of it, and its pub/sub): +2.6 KB. Issue 24: the
  // MCP event stores (their three Lua scripts, about 1.1 KB, and ssekit/mcp's
  // EventStore, about 1.2 KB). Scripts by SHA-1 (EVALSHA) and notices that
  // carry small appends. The log alone is where it was, and has a line of
  // its own.
  { name: 'ssekit/redis', source: "export * from './adapters/logs/redis/index.ts'", budget: 8950 },
  {
    name: 'createRedisLog',
    source: "export { createRedisLog } from './adapters/logs/redis/index.ts'",
    budget: 3740,
  },
  // Log tailing, its own entry since issue 15 (ssekit/node re-exports it):
  // tailLog serves event streams itself, so the entry carries sseResponse.
  // Issue 21: sseResponse carries EncodedMessage's brand. Issue 26: its
  // field checks in a function of their own (see ssekit).
  { name: 'ssekit/tail', source: "export * from './adapters/jobs/tail/index.ts'", budget: 8030 },
  // The object serves event streams itself, so the entry carries sseResponse
  // and the hub (about 9 KB of the 10); the log alone is below 2 KB.
  // Issue 21: the log's epoch (and the migration of a 0.2.0 state table), the
  // topics in the row bound, and the hub's topic bounds.
  // Issue 23: resumable streams, one object per stream (SSEStreamObject, its
  // SQLite rows and alarm, the Worker's store with its held watch): +2.3 KB.
  // Issue 24: the MCP event store in an object's SQLite, with the SDK's
  // EventStore on it: +1.3 KB.
  {
    name: 'ssekit/durable-objects',
    source: "export * from './adapters/logs/durable-objects/index.ts'",
    // Issue 26: encodeMessage's checks and the brand (see ssekit).
    budget: 14920,
  },
];

/**
 * The tarball `npm pack` makes (bench/_tarball.ts), in bytes: a guard at
 * today's size plus about 2%, like the budgets above. Issue 25: 261 KB
 * packed, 893 KB unpacked (ESM and CJS builds, their declarations, the
 * README); with source maps it was 614 KB and 2.2 MB (docs/install.md).
 */
export const TARBALL_BUDGET = { packed: 266_000, unpacked: 911_000 };

/** The peers' equivalents, measured the same way by the size benchmark. */
export const PEERS: { name: string; versus: string; source: string }[] = [
  {
    name: 'h3 EventStream',
    versus: 'sseResponse + encodeMessage',
    source: "export { EventStream } from 'h3'",
  },
  {
    name: 'hono streamSSE',
    versus: 'sseResponse + encodeMessage',
    source: "export { streamSSE } from 'hono/streaming'",
  },
  {
    name: 'better-sse createResponse',
    versus: 'sseResponse + encodeMessage',
    source: "export { createResponse } from 'better-sse'",
  },
  {
    name: 'eventsource-parser EventSourceParserStream',
    versus: 'SSEParserStream',
    source: "export { EventSourceParserStream } from 'eventsource-parser/stream'",
  },
  {
    name: 'eventsource-parser createParser',
    versus: 'SSEParserStream',
    source: "export { createParser } from 'eventsource-parser'",
  },
  {
    name: 'better-sse createChannel + createSession',
    versus: 'ssekit/hub',
    source: "export { createChannel, createSession } from 'better-sse'",
  },
];
