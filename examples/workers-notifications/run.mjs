// Runs examples/workers-notifications on workerd (miniflare, from node_modules),
// as `wrangler dev` would: npm run example:workers → http://localhost:8787
// State persists in .tmp/workers-notifications (a restart keeps the history).
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles worker.ts and serves it on workerd; resolves to `{ url, stop }`.
 * @param {{ host?: string, port?: number, persist?: string | false }} options
 */
export async function start({ host = '127.0.0.1', port = 8787, persist } = {}) {
  const outfile = `${root}.tmp/examples/workers-notifications.mjs`;
  await build({
    entryPoints: [`${root}examples/workers-notifications/worker.ts`],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    loader: { '.html': 'text', '.css': 'text' },
    external: ['cloudflare:workers'],
    outfile,
    logLevel: 'error',
  });
  const worker = new Miniflare({
    modules: true,
    scriptPath: outfile,
    compatibilityDate: '2025-06-01',
    compatibilityFlags: ['enable_request_signal'],
    durableObjects: { NOTIFICATIONS: { className: 'NotificationHub', useSQLite: true } },
    durableObjectsPersist: persist ?? `${root}.tmp/workers-notifications`,
    host,
    port,
  });
  return { url: (await worker.ready).origin, stop: () => worker.dispose() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const host = process.env.HOST || '127.0.0.1';
  const { url, stop } = await start({ host, port: Number(process.env.PORT ?? 8787) });
  const shown = url.replace(/\/\/(?:127\.0\.0\.1|0\.0\.0\.0)/, '//localhost');
  console.log(`workers-notifications listening on ${shown}/notifications (workerd, ${host})`);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => stop().then(() => process.exit(0)));
  }
}
