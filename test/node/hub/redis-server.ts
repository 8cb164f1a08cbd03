import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryAvailable } from '../../system.ts';

const REDIS_SERVER = '/usr/bin/redis-server';

/** A Redis server of the test's own, on a free loopback port. */
export interface TestRedis {
  port: number;
  url: string;
  /** Kills it (SIGKILL: no goodbye, no data kept). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty; resolves once it accepts commands. */
  restart(): Promise<void>;
}

/**
 * Whether the Redis tests can run. Without redis-server they skip with a
 * loud notice on a laptop, and fail in CI (`.ci/run` installs it).
 */
export const redisAvailable = () =>
  binaryAvailable(REDIS_SERVER, 'redis-server', 'the Redis hub tests');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server without persistence on a free port; resolves once it
 * accepts commands. `cluster`: in cluster mode (a node of its own, no slots
 * yet: `CLUSTER ADDSLOTSRANGE 0 16383` makes it a one-node cluster).
 */
export async function startRedis({ cluster = false } = {}): Promise<TestRedis> {
  // Cluster mode writes its nodes file: in a folder of its own, removed on stop.
  const folder = cluster ? mkdtempSync(join(tmpdir(), 'ssekit-redis-')) : undefined;
  const spawnOn = (port: number) =>
    spawn(
      REDIS_SERVER,
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...(folder ? ['--cluster-enabled', 'yes', '--dir', folder] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    let child = spawnOn(port);
    if (await ready(child)) {
      const kill = () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        async stop() {
          await kill();
          if (folder) rmSync(folder, { recursive: true, force: true });
        },
        async restart() {
          await kill();
          child = spawnOn(port);
          if (!(await ready(child)))
            throw new Error(`redis-server did not restart on port ${port}`);
        },
      };
    }
    child.kill('SIGKILL');
    if (attempt === 3) {
      if (folder) rmSync(folder, { recursive: true, force: true });
      throw new Error(`redis-server did not start on port ${port}`);
    }
  }
}

function ready(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let output = '';
    const timer = setTimeout(() => resolve(false), 10_000);
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
