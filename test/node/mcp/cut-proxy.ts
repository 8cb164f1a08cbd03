// A TCP proxy in front of a server that cuts one connection mid-stream, as
// a network or a load balancer does: it passes bytes both ways, counts the
// progress notifications the server sends on each connection, and destroys
// the first connection (both sides) once it has passed `cutAfter` of them.
// Later connections pass untouched.
import { connect, createServer, type Socket } from 'node:net';

const NEEDLE = 'notifications/progress';

export interface CutProxy {
  url: string;
  /** Connections cut so far (at most one). */
  cuts: number;
  close(): Promise<void>;
}

export async function startCutProxy(targetPort: number, cutAfter: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  const state = { cuts: 0 };
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    let seen = 0;
    // The end of the last chunk: a needle split across two chunks is counted once.
    let tail = '';
    upstream.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      seen += text.split(NEEDLE).length - 1;
      tail = text.slice(-(NEEDLE.length - 1));
      if (seen >= cutAfter && state.cuts === 0) {
        state.cuts++;
        // Cut once these bytes are out: the client has the notifications.
        client.write(chunk, end);
      } else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    get cuts() {
      return state.cuts;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
