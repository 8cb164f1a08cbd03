// The log viewer on its own: http://localhost:3000/logs
//   Node: node examples/run.mjs examples/logs/server.ts
//   Deno: node_modules/.bin/deno run -A examples/logs/server.ts
//   Bun:  node_modules/.bin/bun examples/logs/server.ts
import { start } from '../shared.ts';
import { createLogsApp } from './app.ts';

const logs = createLogsApp();
await start(
  'logs',
  (request, url) =>
    url.pathname === '/'
      ? Response.redirect(new URL('/logs', url), 302)
      : logs.routes(request, url),
  () => logs.close(),
  ['/logs'],
);
