/// <reference types="node" />
/**
 * The Node adapter's request, driven through the orders of operations a
 * handler can take (read the body twice, in every way; cancel it mid-read;
 * clone it; read it after the response; touch the signal late; throw after
 * a partial read; a body past any limit; a client that leaves mid-upload),
 * over HTTP/1.1 and HTTP/2, on the direct path and the body path. Whatever
 * the order: nothing is thrown where nobody catches it, no promise is left
 * rejected, the handler always finishes, the connection's resources are
 * freed, and what the handler read is what a native `Request` of the same
 * bytes gives for the same steps.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import {
  type ClientHttp2Session,
  connect as connectHttp2,
  createServer as createHttp2Server,
  type Http2ServerRequest,
} from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { NodeRequest, NodeResponse } from '../../adapters/runtimes/node/index.ts';
import { toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import { sseResponse } from '../../src/index.ts';
import {
  concat,
  FULL_READS,
  nativeRequest,
  newReading,
  OPS,
  type Op,
  type Outcome,
  PARTIAL,
  type Reading,
  STREAM_STEPS,
  step,
} from './request-ops.ts';

interface Plan {
  protocol: 'h1' | 'h2';
  kind: 'json' | 'form' | 'bytes';
  size: number;
  seed: number;
  upload: 'whole' | 'trickle' | 'abort';
  before: Op[];
  response: 'direct' | 'body' | 'wrapped' | 'throw';
  during: Op[];
  after: Op[];
}

interface Run {
  plan: Plan;
  outcomes: { op: Op; outcome: Outcome; compare: Comparison; cut: boolean }[];
  reading: Reading;
  req?: NodeRequest;
  request?: Request;
  /** The status the handler chose. */
  status?: number;
  /** What the client leaves to close once the run is checked. */
  cleanup: (() => void)[];
  /** Settles once the adapter is done and the steps after the response ran. */
  done: Promise<void>;
  finish: () => void;
}

const CONTENT_TYPES = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
  bytes: 'application/octet-stream',
};

/** The body a plan sends: valid JSON or form data of about `size` bytes, or random bytes. */
function bodyOf({ kind, size, seed }: Plan): Uint8Array {
  if (kind === 'json') return new Uint8Array(Buffer.from(JSON.stringify({ a: 'x'.repeat(size) })));
  if (kind === 'form') return new Uint8Array(Buffer.from(`a=${'y'.repeat(size)}&b=%C3%A9`));
  const bytes = new Uint8Array(size);
  let state = seed | 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

const runs = new Map<string, Run>();
const problems: unknown[] = [];
const recordProblem = (problem: unknown) => problems.push(problem);
const requests: NodeRequest[] = [];
let nextId = 0;

/**
 * How a step's outcome compares with the oracle's. Where chunks fall differs
 * (the network's against one chunk), so a step that reads part of the stream
 * compares in kind only (it read, or it threw what the oracle threw); after
 * one, whether the stream is drained differs too, and the steps that use the
 * stream are checked by the invariants alone. The rest compare exactly.
 */
type Comparison = 'exact' | 'kind' | 'none';
function comparison(op: Op, before: { op: Op }[]): Comparison {
  const partial = before.some((earlier) => PARTIAL.includes(earlier.op));
  if (partial && STREAM_STEPS.includes(op)) return 'none';
  return PARTIAL.includes(op) ? 'kind' : 'exact';
}

async function record(run: Run, ops: Op[]): Promise<void> {
  for (const op of ops) {
    const compare = comparison(op, run.outcomes);
    const { cut } = run.reading; // a stream cancelled before this step reads as ended
    run.outcomes.push({ op, outcome: await step(run.request!, op, run.reading), compare, cut });
  }
}

const app = async (request: Request): Promise<Response> => {
  const run = runs.get(request.headers.get('x-run')!)!;
  run.request = request;
  await record(run, run.plan.before);
  const { response } = run.plan;
  if (response === 'throw') throw new Error('planned');
  const during = () => record(run, run.plan.during);
  if (response === 'body') {
    const status = (run.status = run.reading.tooBig ? 413 : 200);
    const body = new ReadableStream({
      async start(controller) {
        await during();
        controller.enqueue(new TextEncoder().encode('done'));
        controller.close();
      },
    });
    return new Response(body, { status });
  }
  const sse = sseResponse(
    async function* () {
      await during();
      yield 'done';
    },
    { request },
  );
  return response === 'direct' ? sse : new Response(sse.body, sse);
};

const handler = toNodeHandler(app);
const listener = (req: NodeRequest, res: NodeResponse) => {
  const run = runs.get(String(req.headers['x-run']))!;
  run.req = req;
  requests.push(req);
  handler(req, res)
    .then(() => record(run, run.plan.after))
    .then(run.finish, recordProblem);
};

let h1: Server;
let h2: Server;
const port = (server: Server) => (server.address() as AddressInfo).port;

beforeAll(async () => {
  process.on('uncaughtException', recordProblem).on('unhandledRejection', recordProblem);
  h1 = createServer(listener);
  h2 = createHttp2Server(listener);
  for (const server of [h1, h2]) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }
});

afterAll(async () => {
  process.off('uncaughtException', recordProblem).off('unhandledRejection', recordProblem);
  for (const server of [h1, h2]) server.close();
});

interface Answer {
  status: number;
  text: string;
}

/**
 * Writes `bytes` as the plan says: at once, in four pieces, or half and then
 * gone, once the server has the request (a pooled connection may be busy).
 */
async function upload(
  target: {
    write(chunk: Uint8Array): unknown;
    end(chunk?: Uint8Array): unknown;
    destroy(): unknown;
  },
  run: Run,
  bytes: Uint8Array,
): Promise<void> {
  const { plan } = run;
  if (plan.upload === 'whole') return void target.end(bytes);
  if (plan.upload === 'abort') {
    target.write(bytes.subarray(0, Math.ceil(bytes.length / 2)));
    while (!run.req) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 15));
    return void target.destroy();
  }
  const piece = Math.ceil(bytes.length / 4) || 1;
  for (let at = 0; at < bytes.length; at += piece) {
    target.write(bytes.subarray(at, at + piece));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  target.end();
}

/**
 * One request on a keep-alive connection of its own: after a body past
 * MAX_UNREAD the server closes the connection, and a client that already
 * handed the whole body to its kernel could send its next request into it
 * (`node-body.test.ts` tests reuse).
 */
function sendH1(run: Run, id: string, bytes: Uint8Array): Promise<Answer | undefined> {
  const { plan } = run;
  const agent = new Agent({ keepAlive: true });
  run.cleanup.push(() => agent.destroy());
  return new Promise((resolve) => {
    const headers = {
      'x-run': id,
      'content-type': CONTENT_TYPES[plan.kind],
      'content-length': bytes.length,
    };
    const req = httpRequest(
      `http://127.0.0.1:${port(h1)}/`,
      { method: 'POST', agent, headers },
      (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
        res.on('error', () => resolve(undefined));
      },
    );
    // After an abort, or a server that stopped reading a body past MAX_UNREAD.
    req.on('error', () => resolve(undefined)).on('close', () => resolve(undefined));
    void upload(req, run, bytes);
  });
}

/**
 * The same over HTTP/2, on a session of its own: Node's client counts what
 * it still has to send of every stream against its session's memory, and
 * refuses new streams past 10 MB (ENHANCE_YOUR_CALM).
 */
function sendH2(run: Run, id: string, bytes: Uint8Array) {
  const { plan } = run;
  const session: ClientHttp2Session = connectHttp2(`http://127.0.0.1:${port(h2)}`);
  session.on('error', recordProblem);
  run.cleanup.push(() => session.destroy());
  const stream = session.request({
    ':method': 'POST',
    ':path': '/',
    'x-run': id,
    'content-type': CONTENT_TYPES[plan.kind],
  });
  const answer = new Promise<Answer | undefined>((resolve) => {
    let status = 0;
    let text = '';
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.setEncoding('utf8').on('data', (chunk) => (text += chunk));
    stream.on('end', () => resolve({ status, text }));
    stream.on('error', () => resolve(undefined)).on('close', () => resolve(undefined));
  });
  void upload(stream, run, bytes);
  return { answer, stream };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Ours and the oracle's outcomes, step by step, where the oracle speaks. */
async function oracle(run: Run, bytes: Uint8Array): Promise<Outcome[]> {
  const { plan } = run;
  const native = nativeRequest(bytes, CONTENT_TYPES[plan.kind]);
  const reading = newReading();
  const outcomes: Outcome[] = [];
  const steps = [...plan.before, ...(plan.response === 'throw' ? [] : plan.during)];
  for (const op of steps) outcomes.push(await step(native.request, op, reading));
  native.over();
  for (const op of plan.after) outcomes.push(await step(native.request, op, reading));
  return outcomes;
}

const kind = (outcome: Outcome) => ('ok' in outcome ? 'ok' : outcome.error);

async function check(plan: Plan): Promise<void> {
  const id = String(nextId++);
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const run: Run = { plan, outcomes: [], reading: newReading(), done, finish, cleanup: [] };
  runs.set(id, run);
  const bytes = bodyOf(plan);
  let h2stream: ReturnType<typeof sendH2>['stream'] | undefined;
  let answer: Promise<Answer | undefined>;
  if (plan.protocol === 'h1') answer = sendH1(run, id, bytes);
  else ({ answer, stream: h2stream } = sendH2(run, id, bytes));
  const answered = await within(answer, 10_000, 'the client');
  await within(run.done, 10_000, 'the handler and the steps after it');
  h2stream?.destroy(); // reset by the server after its response: Node's client waits for us
  for (const close of run.cleanup) close();
  runs.delete(id);

  await new Promise((resolve) => setTimeout(resolve, 5)); // an unhandled rejection is told a turn later
  expect(problems).toEqual([]);
  const read = concat(run.reading.streamed);
  expect(Buffer.from(bytes.subarray(0, read.length)).equals(read)).toBe(true); // a prefix of what was sent

  if (plan.upload === 'abort') {
    for (const { op, outcome, cut } of run.outcomes) {
      if ('error' in outcome || cut) continue;
      // Nothing reads to the end of a body whose client left halfway.
      expect(FULL_READS.includes(op) && op !== 'clone', `${op} after an abort`).toBe(false);
      if (op === 'clone') expect(outcome.ok).not.toMatch(/\d+:/);
      if (op === 'limit') expect(outcome.ok).toBe('too big');
    }
    return;
  }
  const expected =
    plan.response === 'throw'
      ? { status: 500, text: '' }
      : plan.response === 'body'
        ? { status: run.status, text: 'done' }
        : { status: 200, text: ':\n\ndata: done\n\n' };
  expect(answered).toEqual(expected);

  const theirs = await oracle(run, bytes);
  expect(run.outcomes.map(({ op }) => op)).toEqual([
    ...plan.before,
    ...(plan.response === 'throw' ? [] : plan.during),
    ...plan.after,
  ]);
  run.outcomes.forEach(({ op, outcome, compare }, index) => {
    const native = theirs[index]!;
    if (compare === 'exact') expect(outcome, `step ${index}: ${op}`).toEqual(native);
    if (compare === 'kind') expect(kind(outcome), `step ${index}: ${op}`).toBe(kind(native));
  });
}

const ops = fc.array(fc.constantFrom(...OPS), { maxLength: 3 });
const plans: fc.Arbitrary<Plan> = fc
  .record({
    protocol: fc.constantFrom('h1' as const, 'h2' as const),
    kind: fc.constantFrom('json' as const, 'form' as const, 'bytes' as const),
    size: fc.oneof(
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 2000 }) },
      { weight: 2, arbitrary: fc.integer({ min: 60_000, max: 400_000 }) },
      { weight: 1, arbitrary: fc.constant(2 * 1024 * 1024 + 17) },
    ),
    seed: fc.integer(),
    upload: fc.constantFrom('whole' as const, 'trickle' as const, 'abort' as const),
    before: ops,
    response: fc.constantFrom(
      'direct' as const,
      'body' as const,
      'wrapped' as const,
      'throw' as const,
    ),
    during: ops,
    after: ops,
  })
  // A client that leaves halfway has a half to leave.
  .map((plan) => (plan.upload === 'abort' ? { ...plan, size: Math.max(plan.size, 2) } : plan));

const OURS = ['data', 'end', 'error', 'close', 'aborted'];

/** The requests not over yet, or still holding a listener of ours (Node's own `clearIncoming` aside). */
const left = () =>
  requests.filter((req) => {
    const over =
      req.readableEnded || req.destroyed || (req as Http2ServerRequest).stream?.destroyed;
    const listening = OURS.some((event) =>
      req.listeners(event).some((listener) => listener.name !== 'clearIncoming'),
    );
    return !over || listening;
  });

const connections = (server: Server) =>
  new Promise<number>((resolve) => server.getConnections((_, count) => resolve(count)));

async function until(condition: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await condition()) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('every order of operations on the request body is as boring as a native Request', async () => {
  const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    await fc.assert(fc.asyncProperty(plans, check), { numRuns: 200 });
    // What the adapter logged: the planned failures, nothing else.
    for (const [message, error] of logged.mock.calls) {
      expect([message, (error as Error)?.message]).toEqual([
        'ssekit/node: the handler failed:',
        'planned',
      ]);
    }
  } finally {
    logged.mockRestore();
  }
  // Every request is over and holds no listener; every connection is closed.
  await until(
    async () => !left().length && !(await connections(h1)) && !(await connections(h2)),
    5000,
  );
  expect(left()).toEqual([]);
  expect([await connections(h1), await connections(h2)]).toEqual([0, 0]);
}, 120_000);
