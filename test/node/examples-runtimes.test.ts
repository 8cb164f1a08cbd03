// The examples on Deno and Bun, run as their headers say: tailFile and the
// hub through node:fs and node:http there too, and a graceful SIGTERM.
import { expect, test } from 'vitest';
import { startExample } from './examples-helpers.ts';

for (const runtime of ['deno', 'bun'] as const) {
  test(`${runtime}: the demo streams its log, notifications and figures, and SIGTERM ends them cleanly`, async () => {
    const server = await startExample('dashboard', { DEMO_SPEED: '10' }, runtime);
    try {
      const paths = ['/logs/events?level=info', '/notifications/events', '/dashboard/events'];
      const wanted = ['event: log\nid: ', 'event: notification\n', 'event: metrics\n'];
      const readers = await Promise.all(
        paths.map(async (path, i) => {
          const response = await fetch(server.url + path);
          const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
          let text = '';
          while (!text.includes(wanted[i]!)) text += (await reader.read()).value;
          return reader;
        }),
      );
      const exited = server.stop('SIGTERM');
      for (const reader of readers) {
        for (let result = await reader.read(); !result.done; result = await reader.read()) {}
      }
      expect(await exited).toBe(0);
      expect(server.output()).toContain('SIGTERM: closing 3 open stream(s)');
      expect(server.output()).toContain('demo closed');
    } finally {
      await server.stop('SIGKILL');
    }
  }, 20_000);
}
