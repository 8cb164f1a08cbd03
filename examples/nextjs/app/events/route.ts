import { sleep, sseResponse } from 'ssekit';

// Never prerendered or cached at build time: every request gets its own stream.
export const dynamic = 'force-dynamic';

/**
 * GET /events: one `tick` a second, resumed after a reconnecting client's
 * `Last-Event-ID`. Passing `request` lets the stream see the client leave
 * (`request.signal`): the generator's `finally` runs and `onClose` is told.
 */
export async function GET(request: Request): Promise<Response> {
  return sseResponse(
    async function* ({ lastEventId, signal }) {
      let n = Number(lastEventId) || 0;
      try {
        do yield { event: 'tick', id: ++n, data: { n, at: Date.now() } };
        while (await sleep(1000, signal));
      } finally {
        console.log(`events: stopped after #${n}`);
      }
    },
    { request, onClose: ({ reason }) => console.log(`events: closed (${reason})`) },
  );
}
