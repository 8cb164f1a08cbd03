/** Bundles worker.ts and serves it on workerd (miniflare); `persist: false` keeps state in memory. */
export function start(options?: {
  host?: string;
  port?: number;
  persist?: string | false;
}): Promise<{ url: string; stop(): Promise<void> }>;
