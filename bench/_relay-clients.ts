// The clients of the relay benchmark, in a process of their own: N streams
// opened on the relay, every byte parsed (ssekit's spec parser), every event
// checked against what it must be (bench/_relay-expect.ts), the latency of
// each delta taken from its send time `t` once `mark` has been called.
import { Agent, get } from 'node:http';
import { createSSEParser } from '../src/wire/parse.ts';
import { quantile } from './_harness.ts';
import { type Expectation, expectation } from './_relay-expect.ts';
import { common } from './_relay-process.ts';
import { answer, monotonic, settle } from './_resumable-process.ts';

// Opened at once at most: a relay's listen backlog is 4096, and each of
// these makes it open one more upstream connection.
const BATCH = 500;
// No cap on sockets, no keep-alive: one connection a stream, as browsers
// on HTTP/1.1 to many hosts (or many clients) have.
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

interface Stream {
  expect: Expectation;
  opened: boolean;
  ended: boolean;
  error?: string;
}

let streams: Stream[] = [];
let difference: string | undefined;
let latencies: number[] = [];
let measuring = false;
let firstRequest = 0;
let lastEnd = 0;
// When the chunk being parsed arrived: one clock read a chunk, not an event.
let arrived = 0;

const differ = (index: number, text: string) => {
  difference ??= `stream ${index}: ${text}`;
};

function open(index: number, port: number, path: string, transformed: boolean, n: number) {
  const stream: Stream = { expect: expectation(transformed, n), opened: false, ended: false };
  streams.push(stream);
  const parser = createSSEParser({
    onEvent(event) {
      stream.opened = true;
      const result = stream.expect.check(event);
      if (typeof result === 'string') differ(index, result);
      else if (measuring && !Number.isNaN(result)) latencies.push(arrived - result);
    },
  });
  const fail = (error: string) => {
    stream.error ??= error;
    differ(index, error);
  };
  const request = get({ host: '127.0.0.1', port, path, agent }, (res) => {
    if (res.statusCode !== 200) fail(`status ${res.statusCode}`);
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      arrived = monotonic();
      parser.feed(text);
    });
    res.on('end', () => {
      stream.ended = true;
      lastEnd = monotonic();
      const missing = stream.expect.end();
      if (missing) differ(index, missing);
    });
    res.on('close', () => stream.ended || fail('closed before its end'));
  });
  request.on('error', (error) => fail(String(error)));
}

const until = async (done: () => boolean, timeout: number) => {
  const deadline = monotonic() + timeout;
  while (!done() && monotonic() < deadline) await settle(10);
  return done();
};

export function runClients() {
  answer({
    /**
     * Opens `count` streams of `n` deltas (paced at `rate` a second, their
     * phases spread over the period, if given) and replies once each has
     * its first event.
     */
    async open({ port, count, n, rate, transformed }) {
      streams = [];
      difference = undefined;
      latencies = [];
      measuring = false;
      firstRequest = monotonic();
      for (let index = 0; index < count; index++) {
        const phase = rate
          ? `?rate=${rate}&phase=${((index * 1000) / rate / count).toFixed(3)}`
          : '';
        open(index, port, `/s/${n}${phase}`, transformed, n);
        if ((index + 1) % BATCH === 0)
          await until(() => streams.every((s) => s.opened || s.ended || s.error), 30_000);
      }
      const opened = await until(() => streams.every((s) => s.opened || s.ended), 30_000);
      if (!opened)
        differ(
          streams.findIndex((s) => !s.opened && !s.ended),
          'no first event in 30 s',
        );
      return { ms: monotonic() - firstRequest };
    },
    /** From now on, latencies count. */
    async mark() {
      latencies = [];
      measuring = true;
      return {};
    },
    /** Waits for every stream's end, then the figures and the first difference. */
    async finish({ timeout }) {
      if (!(await until(() => streams.every((s) => s.ended || s.error), timeout)))
        differ(
          streams.findIndex((s) => !s.ended && !s.error),
          `not ended ${timeout} ms after the others were asked to finish`,
        );
      const figures = {
        ms: lastEnd - firstRequest,
        samples: latencies.length,
        p50: latencies.length ? quantile(latencies, 0.5) : NaN,
        p99: latencies.length ? quantile(latencies, 0.99) : NaN,
        max: latencies.length ? latencies.reduce((a, b) => Math.max(a, b)) : NaN,
        difference,
      };
      streams = [];
      latencies = [];
      return figures;
    },
    ...common(() => agent.destroy()),
  });
}
