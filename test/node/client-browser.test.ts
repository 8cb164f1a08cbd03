import { build } from 'esbuild';
import fc from 'fast-check';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { serve } from '../../adapters/runtimes/node/index.ts';
import { sseResponse } from '../../src/index.ts';
import { expectedEvents, messages, type RoundTripMessage } from '../core/parser-arbitraries.ts';
import { chromiumAvailable, launchChromium } from '../system.ts';

// Every line ending, NUL, BOMs, emoji and field-like text in data, ids and
// names, then a fixed sample of generated messages.
const fixed: RoundTripMessage[] = [
  { data: 'cr\rlf\ncrlf\r\nend' },
  { data: '\r\n\r\n' },
  { data: '\0nul\0' },
  { data: '\uFEFFbom at start', id: '\uFEFF' },
  { data: '😀 emoji 👩‍👩‍👧', event: '😀' },
  { data: 'data: not a field\nevent: admin', event: 'update', id: 'é…😀' },
  { data: '  two spaces', comment: 'a comment\r\nover two lines' },
  { id: 'only-an-id' },
  { data: '', retry: 5000 },
  { data: ' ', event: ' ' },
];
const sample = fc
  .sample(messages, { numRuns: 8, seed: 4 })
  .flat()
  .filter((m) => !['open', 'error', 'end'].includes(m.event ?? ''));
const list = [...fixed, ...sample];
const expected = expectedEvents(list).events.map(({ event, data, lastEventId }) => [
  event,
  data,
  lastEventId,
]);

const available = chromiumAvailable('the browser round trip');
let context: BrowserContext | undefined;
let server: Awaited<ReturnType<typeof serve>> | undefined;

beforeAll(async () => {
  if (!available) return;
  const bundle = await build({
    entryPoints: [new URL('../../src/client/index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    globalName: 'ssekitClient',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  const script = bundle.outputFiles[0]!.text;
  server = await serve((request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/client.js') {
      return new Response(script, { headers: { 'content-type': 'text/javascript' } });
    }
    if (pathname === '/events') {
      return sseResponse(
        async function* ({ signal }) {
          yield* list;
          yield { event: 'end', data: 'end' };
          // Stay open: the page closes first, so nothing reconnects.
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
        },
        { request },
      );
    }
    return new Response('<!doctype html><script src="/client.js"></script>', {
      headers: { 'content-type': 'text/html' },
    });
  });
  context = await launchChromium();
}, 60_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
});

test.runIf(available)(
  'a native EventSource and connect() in Chromium receive exactly what was sent',
  async () => {
    const page = await context!.newPage();
    await page.goto(`${server!.url}/`);
    const names = [...new Set(expected.map(([event]) => event!))];
    const native = await page.evaluate(
      (names) =>
        new Promise<string[][]>((resolve) => {
          const seen: string[][] = [];
          const source = new EventSource('/events');
          for (const name of names) {
            source.addEventListener(name, (event) => {
              const { data, lastEventId } = event as MessageEvent;
              seen.push([name, data, lastEventId]);
            });
          }
          source.addEventListener('end', () => {
            source.close();
            resolve(seen);
          });
        }),
      names,
    );
    const viaConnect = await page.evaluate(async () => {
      const { connect } = (window as any)
        .ssekitClient as typeof import('../../src/client/index.ts');
      const seen: string[][] = [];
      for await (const { event, data, lastEventId } of connect('/events')) {
        if (event === 'end') break;
        seen.push([event, data, lastEventId]);
      }
      return seen;
    });
    expect(native).toEqual(expected);
    expect(viaConnect).toEqual(expected);
    expect(expected.length).toBeGreaterThan(fixed.length);
    await page.close();
  },
  30_000,
);
