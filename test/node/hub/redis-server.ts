import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { binaryAvailable } from '../../system.ts';

const REDIS_SERVER = '/usr/bin/redis-server';

/** A Redis server of the test's own, on a free loopback port. */
export interface TestRedis {
  port: number;
  url: string;
  /** Kills it (SIGKILL: no goodbye, no data kept). */
  stop(): Promise<void>;
  /**
   * Kills it (SIGKILL) and starts it again on the same port, `pause` ms
   * later (empty, unless started with `appendonly`); resolves once it
   * accepts commands.
   */
  restart(pause?: number): Promise<void>;
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
 * Starts redis-server on a free port; resolves once it accepts commands.
 * Without persistence, unless `appendonly`: then every write is in its
 * append-only file before Redis answers (`appendfsync always`), and a
 * restart after a SIGKILL comes back with all of it. `cluster`: in cluster
 * mode (a node of its own, no slots yet: `CLUSTER ADDSLOTSRANGE 0 16383`
 * makes it a one-node cluster; {@link startRedisCluster} joins three).
 */
export async function startRedis({ cluster = false, appendonly = false } = {}): Promise<TestRedis> {
  // Cluster mode writes its nodes file, persistence its append-only file: in
  // a folder of its own, kept across restarts, removed on stop.
  const folder = cluster || appendonly ? mkdtempSync(join(tmpdir(), 'ssekit-redis-')) : undefined;
  const persistence = appendonly
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  const spawnOn = (port: number) =>
    spawn(
      REDIS_SERVER,
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
        ...(folder ? ['--dir', folder] : []),
        ...(cluster ? ['--cluster-enabled', 'yes'] : []),
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
        async restart(pause = 0) {
          await kill();
          await new Promise((resolve) => setTimeout(resolve, pause));
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

/** Three redis-servers in cluster mode joined into one Redis Cluster on 127.0.0.1. */
export interface TestRedisCluster {
  nodes: TestRedis[];
  /** Where a cluster client starts: every node, as `{ host, port }`. */
  startup: { host: string; port: number }[];
  stop(): Promise<void>;
}

/**
 * Starts a three-node Redis Cluster (Debian's `redis-server --cluster-enabled
 * yes`, masters only): the 16384 slots split in three with `CLUSTER
 * ADDSLOTSRANGE`, the nodes introduced with `CLUSTER MEET`; resolves once
 * every node says `cluster_state:ok`.
 */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const nodes = await Promise.all([0, 1, 2].map(() => startRedis({ cluster: true })));
  const admins = nodes.map((node) => new Redis(node.url));
  try {
    const ranges = [
      ['0', '5460'],
      ['5461', '10922'],
      ['10923', '16383'],
    ];
    await Promise.all(
      admins.map((admin, n) => admin.call('CLUSTER', 'ADDSLOTSRANGE', ...ranges[n]!)),
    );
    for (const node of nodes.slice(1)) {
      await admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port));
    }
    for (let tries = 0; ; tries++) {
      const infos = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO')));
      if (infos.every((info) => /cluster_state:ok/.test(String(info)))) break;
      if (tries > 200) throw new Error('the three-node cluster did not come up within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  } finally {
    for (const admin of admins) admin.disconnect();
  }
  return {
    nodes,
    startup: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}

/**
 * A redis-server in cluster mode holding every slot itself: the smallest
 * Redis Cluster, where a script's keys must still share a slot.
 */
export async function startOneNodeCluster(): Promise<TestRedis> {
  const cluster = await startRedis({ cluster: true });
  const admin = new Redis(cluster.url);
  try {
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    // One node holding every slot: the cluster is up once it has seen that.
    for (
      let tries = 0;
      !/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO')));
      tries++
    ) {
      if (tries > 100) throw new Error('the one-node cluster did not come up');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    admin.disconnect();
  }
  return cluster;
}
