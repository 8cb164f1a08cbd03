// bun run bun.ts
import { serve } from 'ssekit/bun';
import { hello } from './hello.ts';

const server = serve(hello, { port: Number(process.env.PORT ?? 3000) });
console.log(`listening ${server.url}`);
