// What the example servers share: serving a page, counting (and, for
// the demo's "drop connections" button, ending) open event streams, and a
// start that shuts down gracefully on SIGINT/SIGTERM.
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { type FetchHandler, serve } from '../adapters/runtimes/node/index.ts';
import { allowedHosts, guard } from './guard.ts';
import { navLinks } from './nav-links.ts';

/** A route handler: a response, or `undefined` when the path is not its own. */
export type Routes = (
  request: Request,
  url: URL,
) => Response | undefined | Promise<Response | undefined>;

const style = readFile(new URL('./style.css', import.meta.url), 'utf8');

/** The HTML file next to the module that asks for it, with the pages' shared style in place. */
export async function page(file: URL): Promise<Response> {
  const html = (await readFile(file, 'utf8')).replace('/* style.css */', await style);
  return new Response(html, {
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
}

// Ends each open event stream cleanly: its client sees the stream end and
// reconnects (with Last-Event-ID) after the stream's `retry`.
const openStreams = new Set<() => void>();

/** Event streams open in this process. */
export const openStreamCount = (): number => openStreams.size;

/** Ends every open event stream, as a restart or a load balancer would; returns how many. */
export function dropStreams(): number {
  const count = openStreams.size;
  for (const end of [...openStreams]) end();
  return count;
}

/** Passes an event stream through a stream that `dropStreams` can end. */
function droppable(response: Response): Response {
  const type = response.headers.get('content-type') ?? '';
  if (!response.body || !type.startsWith('text/event-stream')) return response;
  let end = () => {};
  const passage = new TransformStream<Uint8Array, Uint8Array>({
    start: (controller) => void (end = () => controller.terminate()),
  });
  openStreams.add(end);
  // Settles when either side ends; a terminate cancels the source (its finally runs).
  response.body.pipeTo(passage.writable).then(
    () => openStreams.delete(end),
    () => openStreams.delete(end),
  );
  return new Response(passage.readable, response);
}

/** A page whose navigation links only `pages`; any other response as it is. */
async function linkingOnly(response: Response, pages: readonly string[]): Promise<Response> {
  if (!response.headers.get('content-type')?.startsWith('text/html')) return response;
  return new Response(navLinks(await response.text(), pages), response);
}

/**
 * Serves `routes` on `PORT` (default 3000) of `HOST` (default `127.0.0.1`:
 * this machine only; `HOST=0.0.0.0` for every interface), with `POST /drop`
 * ending every open stream. Answers only its own host names (and those in
 * `ALLOWED_HOSTS`, comma-separated) and refuses cross-origin writes. On
 * SIGINT or SIGTERM, stops accepting, ends open streams cleanly, runs
 * `onShutdown` and lets the process exit by itself. `pages` are the paths
 * of the pages it serves: the only ones their navigation links.
 */
export async function start(
  name: string,
  routes: Routes,
  onShutdown: () => void | Promise<void>,
  pages: readonly string[],
): Promise<void> {
  const host = process.env.HOST || '127.0.0.1';
  const hosts = allowedHosts(host, process.env.ALLOWED_HOSTS);
  const handler: FetchHandler = async (request) => {
    const url = new URL(request.url);
    const refused = guard(request, url, hosts);
    if (refused) return refused;
    if (request.method === 'POST' && url.pathname === '/drop') {
      return Response.json({ dropped: dropStreams() });
    }
    const response = await routes(request, url);
    if (!response) return new Response('Not found\n', { status: 404 });
    return droppable(await linkingOnly(response, pages));
  };
  const port = Number(process.env.PORT ?? 3000);
  const server = await serve(handler, { port, hostname: host, grace: 2000 });
  const where = host === '127.0.0.1' ? 'this machine only; HOST=0.0.0.0 to expose it' : host;
  const url = server.url.replace(/\/\/(?:127\.0\.0\.1|0\.0\.0\.0|\[::\])/, '//localhost');
  console.log(`${name} listening on ${url} (${where})`);
  const shutdown = async (signal: string) => {
    console.log(`${signal}: closing ${openStreams.size} open stream(s)`);
    // Something left running would keep the process alive: say so, and go.
    setTimeout(() => {
      console.error(`${name}: still running 5 s after ${signal}, exiting`);
      process.exit(1);
    }, 5000).unref();
    await server.close();
    await onShutdown();
    console.log(`${name} closed`);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
