/**
 * Side-by-side measurement: every contender runs the same work in the same
 * process, alternating, for several rounds; medians and ratios are reported,
 * so the figures hold on a shared, noisy machine.
 */
export interface Contender {
  name: string;
  /** Runs the work once and returns how many units (messages, bytes) it handled. */
  run: () => Promise<number>;
  /** A limit: reported for scale, never counted as a peer. */
  limit?: boolean;
  /**
   * The same work as ssekit's, written by hand with nothing in between (the
   * events serialized one by one, as a source hands them over): what no
   * library on this runtime can beat. Never counted as a peer.
   */
  byHand?: boolean;
  /** ssekit itself. */
  ours?: boolean;
  /**
   * Given its bytes serialized beforehand, as the limit is: never compared
   * with peers or by-hand servers that serialize as they go.
   */
  preEncoded?: boolean;
  /** The by-hand contender that does the same work: the "% of by hand" column. */
  sameWorkAs?: string;
}

export interface Figures {
  name: string;
  median: number;
  runs: number[];
  limit?: boolean;
  byHand?: boolean;
  ours?: boolean;
  preEncoded?: boolean;
  sameWorkAs?: string;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The value below which a share `q` of `values` lies (the nearest rank). */
export const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/** Runs every contender `rounds` times, alternating, and returns units per second. */
export async function compare(contenders: Contender[], rounds = 5): Promise<Figures[]> {
  const runs = new Map(contenders.map((contender) => [contender, [] as number[]]));
  for (const contender of contenders) await contender.run(); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const contender of round % 2 ? [...contenders].reverse() : contenders) {
      (globalThis as { gc?: () => void }).gc?.();
      const start = performance.now();
      const units = await contender.run();
      runs.get(contender)!.push(units / ((performance.now() - start) / 1000));
    }
  }
  return contenders.map(({ run: _, ...contender }) => {
    const values = runs.get(contenders.find((c) => c.name === contender.name)!)!;
    return { ...contender, median: median(values), runs: values };
  });
}

/**
 * Prints a markdown table: median rate, ratio to the best peer and to the
 * limit, and, when there are by-hand rows, to the one doing the same work
 * (`sameWorkAs`), else to the fastest that serializes as it goes.
 */
export function report(title: string, unit: string, figures: Figures[]): string {
  const peers = figures.filter((f) => !f.ours && !f.limit && !f.byHand && !f.preEncoded);
  const best = Math.max(...peers.map((f) => f.median));
  const limit = figures.find((f) => f.limit)?.median;
  const hands = figures.filter((f) => f.byHand && !f.preEncoded).map((f) => f.median);
  const hand = hands.length ? Math.max(...hands) : undefined;
  const byHandOf = (f: Figures) =>
    f.sameWorkAs ? figures.find((g) => g.name === f.sameWorkAs)?.median : f.preEncoded ? 0 : hand;
  const percent = (value: number, of: number | undefined) =>
    of ? `${((value / of) * 100).toFixed(1)}%` : '';
  const lines = [
    `### ${title}`,
    '',
    `| contender | median ${unit}/s | × best peer | % of limit |${hand ? ' % of by hand |' : ''}`,
    `|---|---:|---:|---:|${hand ? '---:|' : ''}`,
    ...figures.map(
      (f) =>
        `| ${f.ours ? `**${f.name}**` : f.name} | ${Math.round(f.median).toLocaleString('en-US')} | ${
          f.limit || f.preEncoded || !peers.length ? '' : (f.median / best).toFixed(2)
        } | ${f.limit ? '' : percent(f.median, limit)} |${
          hand ? ` ${f.limit ? '' : percent(f.median, byHandOf(f))} |` : ''
        }`,
    ),
    '',
  ];
  const text = lines.join('\n');
  console.log(text);
  return text;
}
