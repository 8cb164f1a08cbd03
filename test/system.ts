// The system programs the tests drive for real (Debian's chromium, nginx,
// redis-server), shared by every suite that needs one.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/**
 * Whether a system binary is there. Missing: a loud notice and a skip on a
 * laptop, a failure in CI (`.ci/run` installs nginx, redis-server, chromium).
 */
export function binaryAvailable(path: string, packageName: string, what: string): boolean {
  if (existsSync(path)) return true;
  const notice = `${path} is missing: ${what} cannot run. Install it with: apt-get install ${packageName}`;
  if (process.env.CI) throw new Error(`CI: ${notice}`);
  console.warn(`\n${'!'.repeat(72)}\n!! SKIPPED: ${notice}\n${'!'.repeat(72)}\n`);
  return false;
}

const CHROMIUM = '/usr/bin/chromium';
// Headless as root, with no network beyond loopback: without the
// background-networking flags Chromium keeps dialling out and being refused.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Whether Debian's Chromium is there (see {@link binaryAvailable}). */
export const chromiumAvailable = (what: string) => binaryAvailable(CHROMIUM, 'chromium', what);

/** Headless Chromium with a fresh profile, removed again when the context closes. */
export async function launchChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'ssekit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    ...options,
  });
  // Chromium may still be writing its profile as the context reports closed:
  // retry, and leave a stray temporary folder rather than fail a test.
  context.on('close', () => {
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch {}
  });
  return context;
}
