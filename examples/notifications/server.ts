// The notification bell on its own: http://localhost:3000/notifications
//   Node: node examples/run.mjs examples/notifications/server.ts
//   Deno: node_modules/.bin/deno run -A examples/notifications/server.ts
//   Bun:  node_modules/.bin/bun examples/notifications/server.ts
import { start } from '../shared.ts';
import { createNotificationsApp } from './app.ts';

const notifications = createNotificationsApp();
await start(
  'notifications',
  (request, url) =>
    url.pathname === '/'
      ? Response.redirect(new URL('/notifications', url), 302)
      : notifications.routes(request, url),
  () => notifications.close(),
  ['/notifications'],
);
