// The notification feed: one topic per user on a hub. A new connection gets
// the unread count and the latest notifications, then live pushes; a client
// that reconnects sends Last-Event-ID and the hub replays what it missed.

import { createHub, createMemoryLog } from '../../src/hub/index.ts';
import { sseResponse } from '../../src/index.ts';
import { page, type Routes } from '../shared.ts';

/** One notification, as the page shows it; `n` numbers them, so a page never shows one twice. */
export interface Notification {
  n: number;
  text: string;
  at: string;
}

// Demo traffic, so that the bell rings on its own every few seconds.
const SAMPLES = [
  'Build #142 passed on main',
  'Alice commented on “Retry with backoff”',
  'Deploy to staging finished in 48 s',
  'Bob mentioned you in #ops',
  'Weekly report is ready',
  'Carol approved your pull request',
];

/**
 * The notification example's routes: `GET /notifications` (the page),
 * `GET /notifications/events` (the stream), `GET /notifications/state`,
 * `POST /notifications/send` and `POST /notifications/read`.
 */
export function createNotificationsApp(options: { everyMs?: number } = {}) {
  // The replay window: a client away for less than 1000 notifications or ten
  // minutes misses nothing; beyond that it gets a `reset` event and reloads.
  const hub = createHub({ log: createMemoryLog({ maxEntries: 1000, maxAge: 10 * 60_000 }) });
  const topic = 'user:demo'; // one signed-in user in this demo
  const recent: Notification[] = [];
  let unread = 0;
  let count = 0;

  /** Stores a notification and pushes it; the payload carries the new count. */
  async function notify(text: string): Promise<void> {
    const notification = { n: ++count, text, at: new Date().toISOString() };
    recent.unshift(notification);
    recent.length = Math.min(recent.length, 20);
    unread++;
    await hub.publish(topic, { event: 'notification', data: { ...notification, unread } });
  }

  const timer = setInterval(
    () => void notify(SAMPLES[count % SAMPLES.length]!),
    options.everyMs ?? 6000,
  );
  const state = () => ({ unread, recent });

  const routes: Routes = async (request, url) => {
    const { pathname } = url;
    if (pathname === '/notifications') return page(new URL('./page.html', import.meta.url));
    if (pathname === '/notifications/state') return Response.json(state());
    if (request.method === 'POST' && pathname === '/notifications/send') {
      const text = (await request.text()).trim().slice(0, 200) || 'You have a new message';
      await notify(text);
      return Response.json({ unread });
    }
    if (request.method === 'POST' && pathname === '/notifications/read') {
      unread = 0;
      await hub.publish(topic, { event: 'read', data: { unread } });
      return Response.json({ unread });
    }
    if (pathname !== '/notifications/events') return undefined;
    return sseResponse(
      async function* (ctx) {
        // Subscribe first: a notification sent while the state is read is not lost.
        const live = hub.subscribe(topic, ctx);
        if (!ctx.lastEventId) yield { event: 'state', data: state() };
        yield* live; // after Last-Event-ID: the replay, then live
      },
      { request, retry: 1500 },
    );
  };

  return {
    routes,
    hub,
    notify,
    close: async () => {
      clearInterval(timer);
      await hub.close({ grace: 500 });
    },
  };
}
