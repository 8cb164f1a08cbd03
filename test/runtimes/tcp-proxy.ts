/// <reference types="node" />
/**
 * A TCP proxy for the runtime tests: it cuts connections the way a network
 * does, a reset mid-response that both the client and the server see.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a server on loopback: `cut()` resets every
 * connection through it (the client sees its stream break mid-event); with
 * `hold`, new connections wait until `release()`.
 */
export async function tcpProxy(port: number) {
  const sockets = new Set<Socket>();
  let held: (() => void)[] | undefined;
  const server: Server = createServer((client) => {
    const open = () => {
      const upstream = connect(port, '127.0.0.1');
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        sockets.add(from);
        from.pipe(to);
        from.on('error', () => to.destroy());
        from.on('close', () => {
          sockets.delete(from);
          to.destroy();
        });
      }
    };
    if (held) held.push(open);
    else open();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    cut(options: { hold?: boolean } = {}) {
      if (options.hold) held ??= [];
      for (const socket of sockets) socket.resetAndDestroy();
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const open of waiting) open();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
