import { expect, test } from 'vitest';
import { startExample } from './examples-helpers.ts';

const streams = {
  logs: '/logs/events?level=debug',
  notifications: '/notifications/events',
  dashboard: '/dashboard/events',
} as const;

for (const [name, path] of Object.entries(streams) as [keyof typeof streams, string][]) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${name}: ${signal} with open streams ends them cleanly and exits 0`, async () => {
      const server = await startExample(name);
      try {
        const readers = await Promise.all(
          [1, 2].map(async () => {
            const response = await fetch(server.url + path);
            expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
            const reader = response.body!.getReader();
            expect((await reader.read()).done).toBe(false); // open, and flowing
            return reader;
          }),
        );
        const started = Date.now();
        const exited = server.stop(signal);
        for (const reader of readers) {
          // Each stream ends normally: done, not a reset connection.
          for (let result = await reader.read(); !result.done; result = await reader.read()) {}
        }
        expect(await exited).toBe(0);
        expect(Date.now() - started).toBeLessThan(3000); // no grace period waited out
        expect(server.output()).toContain(`${signal}: closing 2 open stream(s)`);
        expect(server.output()).toContain(`${name === 'dashboard' ? 'demo' : name} closed`);
        expect(server.output()).not.toMatch(/error|still running/i);
      } finally {
        await server.stop('SIGKILL');
      }
    }, 15_000);
  }
}
