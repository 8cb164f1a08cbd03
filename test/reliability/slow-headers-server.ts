// The server of the slow-headers scenario, in a process of its own so that
// its open-file limit can be the one a production server has, and so that
// its event loop is not the clients'. `serve` with its defaults: every
// stream sends one event at once, then stays open. Prints `ready <port>`;
// exits on SIGTERM.
import { serve } from '../../adapters/runtimes/node/index.ts';
import { sseResponse } from '../../src/index.ts';

const { server, close } = await serve(
  (request) =>
    sseResponse(
      async function* ({ sleep }) {
        yield { data: 'hello' };
        while (await sleep(60_000));
      },
      { request },
    ),
  { hostname: '127.0.0.1' },
);

process.once('SIGTERM', () => {
  void close();
  setTimeout(() => process.exit(0), 100);
});

process.stdout.write(`ready ${(server.address() as { port: number }).port}\n`);
