// What a client of the relay benchmark must receive on one stream, event by
// event: the upstream's own events through the limit; through a gateway, the
// deltas renamed `token` with `via` added and the empty ones gone, ids kept,
// start and done unchanged. Only `t` (the send time) is not known ahead; it
// must be a number, and it is returned for the latency.
import type { SSEEvent } from '../src/wire/event.ts';
import { deltaText } from './_relay-upstream.ts';

const TIME = /^\d+(?:\.\d+)?$/;

export interface Expectation {
  /** The event's send time (NaN when it has none), or the difference. */
  check(event: SSEEvent): number | string;
  /** At the end of the stream: the difference when events are missing. */
  end(): string | undefined;
}

export function expectation(transformed: boolean, n: number): Expectation {
  let k = 0; // the upstream's index of the next event: 0 start, 1..n deltas, n + 1 done
  const skip = () => {
    if (transformed) while (k >= 1 && k <= n && !deltaText(k)) k++;
  };
  const wanted = () =>
    k === 0
      ? 'event=start id=0 data={"model":"m"}'
      : k <= n
        ? `event=${transformed ? 'token' : 'delta'} id=${k} data={"i":${k},"text":"${deltaText(k)}","t":<time>${transformed ? ',"via":"gateway"' : ''}}`
        : k === n + 1
          ? 'event=done id=' + (n + 1) + ' data=[DONE]'
          : 'the end of the stream';
  const differs = (event: SSEEvent) =>
    `event ${k} (upstream index): expected ${wanted()}, got event=${event.event} id=${event.id} data=${event.data}`;
  return {
    check(event) {
      skip();
      if (k === 0 || k === n + 1) {
        const [name, data] = k ? ['done', '[DONE]'] : ['start', '{"model":"m"}'];
        if (event.event !== name || event.id !== String(k) || event.data !== data)
          return differs(event);
        k++;
        return NaN;
      }
      if (k > n) return differs(event);
      const prefix = `{"i":${k},"text":"${deltaText(k)}","t":`;
      const suffix = transformed ? ',"via":"gateway"}' : '}';
      const { data } = event;
      const time = data.slice(prefix.length, data.length - suffix.length);
      if (
        event.event !== (transformed ? 'token' : 'delta') ||
        event.id !== String(k) ||
        !data.startsWith(prefix) ||
        !data.endsWith(suffix) ||
        !TIME.test(time)
      )
        return differs(event);
      k++;
      return Number(time);
    },
    end() {
      skip();
      return k === n + 2 ? undefined : `ended before event ${k} (upstream index): ${wanted()}`;
    },
  };
}
