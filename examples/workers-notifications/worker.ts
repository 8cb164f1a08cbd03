// The notification feed on Cloudflare Workers: one Durable Object per user
// holds the user's hub, its replay log and the notifications themselves, all
// in the object's SQLite. Every Worker request (the page, the stream, a send)
// reaches the same object by name, whichever isolate runs it.
//   Run locally:  npm run example:workers   (miniflare, http://localhost:8787)
//   Deploy:       wrangler deploy           (wrangler.toml in this folder)
import {
  type DurableObjectStateLike,
  type HubNamespaceLike,
  hubStub,
  SSEHub,
  subscribeToHub,
} from 'ssekit/durable-objects';
import { navLinks } from '../nav-links.ts';
import html from '../notifications/page.html';
import style from '../style.css';

// Demo traffic, so that the bell rings on its own while someone watches.
const SAMPLES = [
  'Build #142 passed on main',
  'Alice commented on “Retry with backoff”',
  'Deploy to staging finished in 48 s',
  'Bob mentioned you in #ops',
];
const TOPIC = 'notifications';

interface Storage {
  sql: { exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[] } };
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
}

/** One user's notifications and their live feed. */
export class NotificationHub extends SSEHub {
  readonly #sql: Storage['sql'];
  readonly #storage: Storage;

  constructor(ctx: DurableObjectStateLike, env: unknown) {
    // A client away for less than 1000 notifications or ten minutes misses nothing.
    super(ctx, env, {
      log: { maxEntries: 1000, maxAge: 10 * 60_000 },
      retry: 1500,
      maxConnectionAge: 30 * 60_000, // streams end gently, so a deploy moves clients along
    });
    this.#storage = ctx.storage as unknown as Storage;
    this.#sql = this.#storage.sql;
    this.#sql.exec(
      'CREATE TABLE IF NOT EXISTS notifications (n INTEGER PRIMARY KEY, text TEXT NOT NULL, at TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0)',
    );
  }

  /** What a new page shows: the unread count and the latest notifications. */
  state() {
    const [{ unread }] = this.#sql
      .exec('SELECT count(*) AS unread FROM notifications WHERE read = 0')
      .toArray() as [{ unread: number }];
    const recent = this.#sql
      .exec('SELECT n, text, at FROM notifications ORDER BY n DESC LIMIT 20')
      .toArray();
    return { unread, recent };
  }

  // A new stream gets the state first, read in the same call as the subscription is made.
  override subscribe(topics: string | readonly string[], options?: { lastEventId?: string }) {
    void this.#ringSoon();
    return super.subscribe(topics, {
      ...options,
      initial: [{ event: 'state', data: this.state() }],
    });
  }

  /** Stores a notification and pushes it; the payload carries the new count. */
  async notify(text: string) {
    const [row] = this.#sql
      .exec(
        'INSERT INTO notifications (text, at) VALUES (?, ?) RETURNING n, text, at',
        text,
        new Date().toISOString(),
      )
      .toArray();
    const { unread } = this.state();
    await this.publish(TOPIC, { event: 'notification', data: { ...row, unread } });
    return { unread };
  }

  async markRead() {
    this.#sql.exec('UPDATE notifications SET read = 1 WHERE read = 0');
    await this.publish(TOPIC, { event: 'read', data: { unread: 0 } });
    return { unread: 0 };
  }

  // The demo's bell: an alarm every 6 s while someone is subscribed (no process, no setInterval).
  async alarm() {
    const { n } = this.#sql.exec('SELECT count(*) AS n FROM notifications').toArray()[0] as {
      n: number;
    };
    await this.notify(SAMPLES[n % SAMPLES.length]!);
    if (this.stats().subscribers > 0) await this.#storage.setAlarm(Date.now() + 6000);
  }

  async #ringSoon() {
    if ((await this.#storage.getAlarm()) === null) await this.#storage.setAlarm(Date.now() + 6000);
  }
}

interface Env {
  NOTIFICATIONS: HubNamespaceLike<NotificationHub>;
}

// The Worker serves the notifications page only: its navigation links nothing else.
const page = navLinks(html.replace('/* style.css */', style), ['/notifications']);

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    // One signed-in user in this demo; a real app takes the id from its session.
    const user = hubStub(env.NOTIFICATIONS, 'user:demo');
    if (pathname === '/') return Response.redirect(new URL('/notifications', request.url), 302);
    if (pathname === '/notifications') {
      return new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    }
    if (pathname === '/notifications/events') return subscribeToHub(user, request, TOPIC);
    if (pathname === '/notifications/state') return Response.json(await user.state());
    if (request.method === 'POST' && pathname === '/notifications/send') {
      const text = (await request.text()).trim().slice(0, 200) || 'You have a new message';
      return Response.json(await user.notify(text));
    }
    if (request.method === 'POST' && pathname === '/notifications/read') {
      return Response.json(await user.markRead());
    }
    // Ends every open stream, as a deploy would: the pages resume from Last-Event-ID.
    if (request.method === 'POST' && pathname === '/drop') {
      await user.close({ grace: 500 });
      return Response.json({ dropped: true });
    }
    return new Response('Not found\n', { status: 404 });
  },
};
