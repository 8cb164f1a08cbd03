// Each example server links only the pages it serves, and each page declares
// its icon, so a browser asks for nothing that is not there.
import { expect, test } from 'vitest';
import { pageProblems, startExample } from './examples-helpers.ts';

const SERVERS = [
  ['dashboard', ['/', '/logs', '/notifications', '/chat']],
  ['logs', ['/logs']],
  ['notifications', ['/notifications']],
  ['resumable-chat', ['/chat']],
] as const;

test.concurrent.each(SERVERS)(
  '%s: every nav link answers 200 itself, every page declares its icon',
  async (name, pages) => {
    const server = await startExample(name);
    try {
      expect(await pageProblems(server.url, pages)).toEqual([]);
      // The nav is not empty: each page links at least itself.
      const html = await (await fetch(server.url + pages[0])).text();
      expect(html).toContain(`<a href="${pages[0]}"`);
    } finally {
      await server.stop('SIGKILL');
    }
  },
  30_000,
);
