// The resumable chat on its own: http://localhost:3000/chat
//   Node: node examples/run.mjs examples/resumable-chat/server.ts
//   Deno: node_modules/.bin/deno run -A examples/resumable-chat/server.ts
//   Bun:  node_modules/.bin/bun examples/resumable-chat/server.ts
import process from 'node:process';
import { start } from '../shared.ts';
import { createChatApp } from './app.ts';

const chat = createChatApp({ tokenMs: Number(process.env.TOKEN_MS ?? 60) });
await start(
  'resumable-chat',
  (request, url) =>
    url.pathname === '/'
      ? Response.redirect(new URL('/chat', url), 302)
      : chat.routes(request, url),
  () => chat.close(),
  ['/chat'],
);
