// The demo (`npm run demo`): the dashboard at http://localhost:3000, with the
// log viewer (/logs), the notification bell (/notifications) and the
// resumable chat (/chat) beside it.
//   Node: node examples/run.mjs examples/dashboard/server.ts
//   Deno: node_modules/.bin/deno run -A examples/dashboard/server.ts
//   Bun:  node_modules/.bin/bun examples/dashboard/server.ts
import process from 'node:process';
import { createLogsApp } from '../logs/app.ts';
import { createNotificationsApp } from '../notifications/app.ts';
import { createChatApp } from '../resumable-chat/app.ts';
import { start } from '../shared.ts';
import { createDashboardApp } from './app.ts';

const speed = Number(process.env.DEMO_SPEED ?? 1); // the tests run the demo faster
const logs = createLogsApp({ everyMs: 500 / speed });
const notifications = createNotificationsApp({ everyMs: 6000 / speed });
// The chat's pace is the made-up model's, not a timer of the demo's.
const chat = createChatApp({ tokenMs: Number(process.env.TOKEN_MS ?? 60) });
const dashboard = createDashboardApp(
  () => ({ hub: notifications.hub.stats(), logLines: logs.log.lines }),
  1000 / speed,
);

await start(
  'demo',
  async (request, url) => {
    const started = performance.now();
    const response =
      (await dashboard.routes(request, url)) ??
      (await logs.routes(request, url)) ??
      (await notifications.routes(request, url)) ??
      (await chat.routes(request, url));
    // The log example's log is this server's own: each request is a line.
    if (!url.pathname.endsWith('/events') || response?.status !== 200) {
      const ms = Math.round(performance.now() - started);
      const status = response?.status ?? 404;
      logs.log.write(
        status >= 400 ? 'warn' : 'info',
        `${request.method} ${url.pathname} ${status}`,
        {
          ms,
        },
      );
    }
    return response;
  },
  async () => {
    dashboard.close();
    logs.close();
    await notifications.close();
    await chat.close();
  },
  ['/', '/logs', '/notifications', '/chat'],
);
