// The server of the graceful-shutdown scenario, in a process of its own so
// that it can get a real SIGTERM. Each stream counts on from the client's
// Last-Event-ID, so a client that resumes after a restart must see the next
// number, and a gap or a repeat is visible. Prints `ready <port>`; on
// SIGTERM closes through `serve`'s `close()`, prints one JSON line of
// figures and exits 0.
import { serve } from '../../adapters/runtimes/node/index.ts';
import { sseResponse } from '../../src/index.ts';

const { PORT = '0', GRACE = '5000', INTERVAL = '200' } = process.env;
let opened = 0;
let closed = 0;
const reasons: Record<string, number> = {};

const { server, close } = await serve(
  (request) =>
    sseResponse(
      async function* ({ lastEventId, sleep }) {
        opened++;
        let n = Number(lastEventId ?? 0);
        do yield { id: ++n, data: String(n) };
        while (await sleep(Number(INTERVAL)));
      },
      {
        request,
        retry: 50,
        onClose: ({ reason }) => {
          closed++;
          reasons[reason] = (reasons[reason] ?? 0) + 1;
        },
      },
    ),
  { hostname: '127.0.0.1', port: Number(PORT), grace: Number(GRACE) },
);

process.once('SIGTERM', async () => {
  const openAtSignal = opened - closed;
  const started = Date.now();
  // close() resolves once every connection is gone: before GRACE when all
  // streams ended cleanly, at GRACE when some had to be cut.
  await close();
  const figures = { opened, closed, openAtSignal, reasons, closeMs: Date.now() - started };
  process.stdout.write(`${JSON.stringify(figures)}\n`, () => process.exit(0));
});

process.stdout.write(`ready ${(server.address() as { port: number }).port}\n`);
