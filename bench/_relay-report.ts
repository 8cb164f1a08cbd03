// The tables of the relay benchmark: medians over the rounds, each figure
// beside its ratio to the hand-written relay's.
import { median } from './_harness.ts';
import { CONTENDERS, type ContenderName } from './_relay-contenders.ts';

/** One measured run of one relay process. */
export interface Run {
  contender: ContenderName;
  /** Upstream events sent in the measured window. */
  events: number;
  /** The window: bulk, first request to last stream end; paced, mark to last end. */
  ms: number;
  /** µs of the relay process's CPU in the window. */
  relayCpu: number;
  p50: number;
  p99: number;
  max: number;
  /** Paced: growth per open stream of the relay's heap + external, and of its RSS. */
  heap?: number;
  rss?: number;
}

type Column = [title: string, pick: (run: Run) => number, format: (value: number) => string];

const fixed = (digits: number) => (value: number) => value.toFixed(digits);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const cpu: Column = ['relay CPU µs/event', (r) => r.relayCpu / r.events, fixed(2)];

// A row per relay: each column's median, then its ratio to the hand-written
// relay's when the column asks for it.
function table(title: string, note: string, runs: Run[], columns: [Column, boolean][]) {
  const of = (name: ContenderName, pick: (run: Run) => number) =>
    median(runs.filter((r) => r.contender === name).map(pick));
  const header = columns.flatMap(([[title], ratio]) => (ratio ? [title, '× hand'] : [title]));
  const lines = [
    `### ${title}`,
    '',
    note,
    '',
    `| relay | ${header.join(' | ')} |`,
    `|---|${header.map(() => '---:|').join('')}`,
    ...CONTENDERS.map((name) => {
      const cells = columns.flatMap(([[, pick, format], ratio]) => {
        const value = of(name, pick);
        return ratio
          ? [format(value), `${(value / of('hand-written', pick)).toFixed(2)}x`]
          : [format(value)];
      });
      return `| ${name === 'ssekit' ? '**ssekit**' : name} | ${cells.join(' | ')} |`;
    }),
    '',
  ];
  console.log(lines.join('\n'));
}

export function bulkTable(runs: Run[], streams: number, deltas: number, rounds: number) {
  table(
    `Relay, bulk: ${streams} streams × ${deltas.toLocaleString('en-US')} deltas as fast as they go (medians of ${rounds} rounds)`,
    'Upstream events (start, deltas, done) per second of wall time, first request to last stream end; CPU of the relay process over the run per upstream event.',
    runs,
    [
      [
        ['events/s', (r) => r.events / (r.ms / 1000), (v) => Math.round(v).toLocaleString('en-US')],
        true,
      ],
      [cpu, true],
    ],
  );
}

export function pacedTable(runs: Run[], streams: number, rate: number, rounds: number) {
  const seconds = median(runs.map((r) => r.ms / 1000));
  table(
    `Relay, paced: ${streams.toLocaleString('en-US')} streams × ${rate} events/s (medians of ${rounds} rounds × ${seconds.toFixed(1)} s measured)`,
    `Latency of each delta from the upstream's write to the client's read (p50, p99 and max of each round); CPU of the relay process in the measured window per upstream event; the events the upstream sent a second (${(streams * rate).toLocaleString('en-US')} when every process keeps up).`,
    runs,
    [
      [
        ['sent/s', (r) => r.events / (r.ms / 1000), (v) => Math.round(v).toLocaleString('en-US')],
        false,
      ],
      [['p50 ms', (r) => r.p50, fixed(1)], false],
      [['p99 ms', (r) => r.p99, fixed(1)], true],
      [['max ms', (r) => r.max, fixed(1)], false],
      [cpu, true],
    ],
  );
  table(
    `Relay memory per stream, ${streams.toLocaleString('en-US')} paced streams open`,
    "Growth of the relay process's JS heap plus external memory after a full GC (and of its RSS), from before the streams opened to 1.5 s after all of them began their deltas, per stream.",
    runs,
    [
      [['heap + external', (r) => r.heap!, kib], true],
      [['RSS', (r) => r.rss!, kib], true],
    ],
  );
}
