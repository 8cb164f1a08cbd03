// The example pages in headless Chromium (Debian's, driven by
// playwright-core) against the demo server running as a child process: each
// connects and shows live data, the log filters work, every page shows
// "reconnecting…" when the server drops its stream and recovers by itself,
// the notification bell loses nothing while it was away, and the chat's
// answer comes back whole, once, after a reload, in a second tab and after
// a dropped connection, and stops on the stop button.
// Screenshots go to .tmp/screenshots/; UPDATE_SCREENSHOTS=1 writes the
// README's copies in docs/screenshots/ as well.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { answerTo } from '../../examples/resumable-chat/app.ts';
import { chromiumAvailable, launchChromium } from '../system.ts';
import { type ExampleServer, startExample } from './examples-helpers.ts';

const available = chromiumAvailable('the example pages test');
const root = new URL('../../', import.meta.url).pathname;
let server: ExampleServer | undefined;
let context: BrowserContext | undefined;
// Every request of every page that answered 404: none should. (Headless
// Chromium does not ask for /favicon.ico; examples-nav.test.ts checks that
// each page declares its icon, so that a desktop browser does not either.)
const notFound: string[] = [];

beforeAll(async () => {
  if (!available) return;
  // Ten times the demo's pace: a log line every 50 ms, a notification every 0.6 s.
  server = await startExample('dashboard', { DEMO_SPEED: '10' });
  context = await launchChromium({ viewport: { width: 1000, height: 640 } });
  context.on('response', (response) => {
    if (response.status() === 404) notFound.push(response.url());
  });
}, 30_000);

afterAll(async () => {
  await context?.close();
  await server?.stop('SIGKILL');
});

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(root, '.tmp/screenshots', `${name}.png`);
  mkdirSync(join(root, '.tmp/screenshots'), { recursive: true });
  await page.screenshot({ path });
  if (process.env.UPDATE_SCREENSHOTS) {
    mkdirSync(join(root, 'docs/screenshots'), { recursive: true });
    copyFileSync(path, join(root, 'docs/screenshots', `${name}.png`));
  }
}

const status = (page: Page) => page.locator('#status');
const post = (path: string, body?: string) =>
  fetch(server!.url + path, { method: 'POST', body }).then((response) => response.json());

test.runIf(available)(
  'logs: lines arrive live, the filters reopen the stream, a bad filter shows the 400',
  async () => {
    const page = await context!.newPage();
    await page.goto(`${server!.url}/logs`);
    await expect.poll(() => status(page).textContent()).toBe('live');
    await page.waitForFunction(() => document.querySelectorAll('#lines div').length >= 12);
    await screenshot(page, 'logs');

    await page.selectOption('#level', 'warn');
    await expect.poll(() => page.url()).toMatch(/\?level=warn$/);
    await page.waitForFunction(
      () => document.querySelector('#lines div.warn') && document.querySelector('#lines div.error'),
    );
    const levels = await page.$$eval('#lines div', (rows) => rows.map((row) => row.className));
    expect(new Set(levels)).toEqual(new Set(['warn', 'error']));

    await page.fill('#search', 'QUOTA');
    await expect.poll(() => page.url()).toMatch(/\?level=warn&search=QUOTA$/);
    await page.waitForFunction(() => document.querySelectorAll('#lines div').length >= 2);
    const texts = await page.$$eval('#lines div', (rows) => rows.map((row) => row.textContent));
    for (const text of texts) expect(text).toMatch(/ERROR.*disk quota exceeded/);
    expect(await page.locator('#lines mark').first().textContent()).toBe('quota');
    await screenshot(page, 'logs-filtered');

    await page.goto(`${server!.url}/logs?level=loud`);
    await expect
      .poll(() => page.locator('#problem').textContent())
      .toBe(
        '400: level: expected one of trace, debug, info, warn, error, fatal or all, got "loud". Pick one of those.\n',
      );
    expect(await status(page).textContent()).toBe('disconnected');
    await page.close();
  },
  20_000,
);

test.runIf(available)(
  'notifications: unread count and list, live, and nothing lost across a dropped connection',
  async () => {
    const page = await context!.newPage();
    await page.goto(`${server!.url}/notifications`);
    await expect.poll(() => status(page).textContent()).toBe('live');
    // Read clears the count. The demo sends a notification every 0.6 s here,
    // so the count seen afterwards is at most what arrived since the click
    // (on a loaded machine the page may never show 0 between two).
    const unread = async () => Number(await page.locator('#unread').getAttribute('data-count'));
    const newest = () =>
      page.$$eval('#list li', (rows) => Math.max(0, ...rows.map((row) => Number(row.dataset.n))));
    await expect.poll(unread).toBeGreaterThanOrEqual(1);
    const before = await newest();
    await page.click('#read');
    await expect
      .poll(async () => (await unread()) <= (await newest()) - before, { timeout: 5000 })
      .toBe(true);
    await page.click('#send');
    await page.locator('li', { hasText: 'Hello from the test button' }).waitFor();
    await page.waitForFunction(() => Number(document.querySelector('#unread')!.textContent) >= 2);

    // The server drops every stream: the page says so, and while it waits
    // to reconnect, two notifications are sent that it must not miss.
    expect((await post('/drop')).dropped).toBeGreaterThanOrEqual(1);
    await expect.poll(() => status(page).textContent()).toBe('reconnecting…');
    await post('/notifications/send', 'Sent while you were away (1)');
    await post('/notifications/send', 'Sent while you were away (2)');
    await screenshot(page, 'notifications-reconnecting');
    await expect.poll(() => status(page).textContent(), { timeout: 5000 }).toBe('live');
    for (const text of ['Sent while you were away (1)', 'Sent while you were away (2)']) {
      await expect.poll(() => page.locator('li', { hasText: text }).count()).toBe(1);
    }
    // Every notification since the page opened, once, with no gap.
    const numbers = await page.$$eval('#list li', (rows) =>
      rows.map((row) => Number(row.dataset.n)),
    );
    const state = await (await fetch(`${server!.url}/notifications/state`)).json();
    await expect
      .poll(async () => Number(await page.locator('#unread').textContent()))
      .toBe((await (await fetch(`${server!.url}/notifications/state`)).json()).unread);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers[0]! - numbers.at(-1)! + 1).toBe(numbers.length);
    expect(numbers[0]).toBeGreaterThanOrEqual(state.recent[0].n - 1);
    await screenshot(page, 'notifications');
    await page.close();
  },
  20_000,
);

test.runIf(available)(
  'dashboard: live figures and a chart from the server itself, with the hub and log counts',
  async () => {
    const page = await context!.newPage();
    await page.goto(`${server!.url}/`);
    await expect.poll(() => status(page).textContent()).toBe('live');
    await page.waitForFunction(() => Number(document.body.dataset.updates) >= 5);
    const heap = await page.locator('#heap').textContent();
    expect(heap).toMatch(/^\d+(\.\d)? MB$/);
    expect(await page.locator('#cpu').textContent()).toMatch(/^\d+\.\d %$/);
    expect(await page.locator('#lag').textContent()).toMatch(/^\d+\.\d \/ \d+\.\d ms$/);
    expect(Number(await page.locator('#streams').textContent())).toBeGreaterThanOrEqual(1);
    // The notification page before this one received some: the hub counted them.
    expect(await page.locator('#delivered').textContent()).toMatch(/^[1-9]\d* \/ [1-9]\d*$/);
    // Its two notifications sent while it was away came back by replay.
    expect(Number(await page.locator('#replayed').textContent())).toBeGreaterThanOrEqual(2);
    expect(Number(await page.locator('#lines').textContent())).toBeGreaterThan(0);
    const points = Number(await page.locator('#lag-chart').getAttribute('data-points'));
    expect(points).toBeGreaterThanOrEqual(30); // the last minute came first: a full chart
    // Live: the figures keep coming.
    const before = Number(await page.evaluate(() => document.body.dataset.updates));
    await page.waitForFunction((n) => Number(document.body.dataset.updates) > n, before);
    await screenshot(page, 'dashboard');
    await page.close();
  },
  20_000,
);

test.runIf(available)(
  'chat: a reload mid-answer shows the whole answer once, a second tab follows it, a dropped connection loses nothing, stop stops',
  async () => {
    const page = await context!.newPage();
    await page.goto(`${server!.url}/chat`);
    const prompt = await page.inputValue('#prompt');
    await page.click('button[type=submit]');
    await expect.poll(() => page.url()).toMatch(/\/chat\?answer=[0-9a-f-]{36}$/);
    const id = new URL(page.url()).searchParams.get('answer')!;
    const state = async () =>
      (await (await fetch(`${server!.url}/chat/answers/${id}`)).json()).state as string;
    const answer = (tab: Page) => tab.locator('#answer').textContent();
    await expect.poll(async () => (await answer(page))!.length).toBeGreaterThan(20);
    expect(await state()).toBe('active');

    // Reload mid-answer: the page reads the answer from its start.
    await page.click('#reload');
    await page.waitForLoadState('load');
    expect(page.url()).toContain(`answer=${id}`);
    const second = await context!.newPage();
    await second.goto(
      await page.locator('#second').evaluate((link: HTMLAnchorElement) => link.href),
    );
    for (const tab of [page, second])
      await expect.poll(() => status(tab).textContent()).toBe('live');
    await screenshot(page, 'chat');
    // Dropped mid-answer: both reconnect with Last-Event-ID and get the rest.
    expect(await state()).toBe('active');
    expect((await post('/drop')).dropped).toBeGreaterThanOrEqual(2);
    for (const tab of [page, second]) {
      await tab.waitForFunction(() => Number(document.body.dataset.reconnects) >= 1);
    }
    for (const tab of [page, second]) {
      await tab.waitForFunction(() => document.body.dataset.state === 'done', null, {
        timeout: 15_000,
      });
      expect(await answer(tab)).toBe(answerTo(prompt));
      expect(await tab.locator('#state').textContent()).toBe('done');
    }
    await second.close();

    // Stop: the answer ends where it was, for every reader, and says so.
    await page.fill('#prompt', 'Why resumable?');
    await page.click('button[type=submit]');
    await expect.poll(() => page.url()).not.toContain(id);
    await expect.poll(async () => (await answer(page))!.length).toBeGreaterThan(10);
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.state === 'stopped');
    const stopped = (await answer(page))!;
    expect(answerTo('Why resumable?').startsWith(stopped)).toBe(true);
    expect(stopped.length).toBeLessThan(answerTo('Why resumable?').length);
    expect(await page.locator('#state').textContent()).toBe('stopped');
    await page.close();
  },
  30_000,
);

test.runIf(available)(
  'every page shows "reconnecting…" when its stream is dropped and recovers; SIGTERM with them open exits 0',
  async () => {
    const pages = await Promise.all(['/', '/logs', '/notifications'].map(() => context!.newPage()));
    await Promise.all(
      ['/', '/logs', '/notifications'].map((path, i) => pages[i]!.goto(server!.url + path)),
    );
    for (const page of pages) await expect.poll(() => status(page).textContent()).toBe('live');
    expect((await post('/drop')).dropped).toBeGreaterThanOrEqual(3);
    for (const page of pages) {
      await page.waitForFunction(() => Number(document.body.dataset.reconnects) >= 1);
    }
    for (const page of pages) {
      await expect.poll(() => status(page).textContent(), { timeout: 5000 }).toBe('live');
    }
    // Live again: new data after the reconnection.
    const updates = Number(await pages[0]!.evaluate(() => document.body.dataset.updates));
    await pages[0]!.waitForFunction((n) => Number(document.body.dataset.updates) > n, updates);
    await pages[1]!.waitForFunction(() => document.querySelectorAll('#lines div').length >= 3);

    const exited = server!.stop('SIGTERM');
    expect(await exited).toBe(0);
    expect(server!.output()).toMatch(/SIGTERM: closing [3-9] open stream\(s\)/);
    expect(server!.output()).toContain('demo closed');
  },
  25_000,
);

// Runs last: what the pages above asked for, all of it found. A 404 would
// also be a line in the demo's log viewer.
test.runIf(available)('no page asked for anything the server does not have', () => {
  expect(notFound).toEqual([]);
});
