// An MCP server as the SDK's users write one: McpServer and the SDK's
// StreamableHTTPServerTransport on a real node:http server, stateful
// sessions, each with `eventStore: stores.session(sessionId)`. Its tools
// send 100 progress notifications over the call's SSE response, then a
// result: `count`, and `count-closing`, which closes the stream on purpose
// after the 50th (SEP-1699) and goes on.
//
// Several processes on one shared store (Redis): the SDK keeps a session's
// transport in the memory of the process that made it, so another process
// has no transport for it. What it can do is answer a resume (a GET with
// Last-Event-ID) from the shared store: a stateless transport of its own,
// whose event store is that session's, replays what the store holds and
// then ends the stream. The client comes back after `retry` ms with the
// last id it got, here or to the owner, until the result has come. Every
// other request of a session it does not have gets 404, as in the SDK.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpEventStore, McpEventStores } from '../../../src/mcp/index.ts';

export interface McpServerStats {
  /** Resumes (GET with Last-Event-ID) a transport of this process's own sessions answered. */
  resumes: number;
  /** Resumes of other processes' sessions, answered from the store alone. */
  replays: number;
  /** When each resume came (ms since the epoch). */
  resumedAt: number[];
  /** When a tool closed its stream on purpose. */
  closedAt: number[];
}

export interface McpTestServer {
  url: string;
  stats: McpServerStats;
  close(): Promise<void>;
}

export interface McpServerOptions {
  stores: McpEventStores;
  /** The `retry` of each priming event, in ms. */
  retryInterval: number;
  /** Milliseconds between two progress notifications. */
  pace?: number;
  port?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startMcpServer(options: McpServerOptions): Promise<McpTestServer> {
  const { stores, retryInterval, pace = 4 } = options;
  const stats: McpServerStats = { resumes: 0, replays: 0, resumedAt: [], closedAt: [] };
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const sockets = new Set<Socket>();

  const mcpServer = () => {
    const server = new McpServer({ name: 'counter', version: '1.0.0' });
    for (const [name, closeAt] of [
      ['count', 0],
      ['count-closing', 50],
    ] as const) {
      server.registerTool(
        name,
        { description: 'Counts to 100, telling each step' },
        async (extra) => {
          const progressToken = extra._meta?.progressToken ?? 0;
          for (let progress = 1; progress <= 100; progress++) {
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress, total: 100 },
            });
            if (progress === closeAt) {
              stats.closedAt.push(Date.now());
              extra.closeSSEStream?.();
            }
            await sleep(pace);
          }
          return { content: [{ type: 'text', text: 'counted to 100' }] };
        },
      );
    }
    return server;
  };

  const newSession = async () => {
    const sessionId = randomUUID();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      eventStore: stores.session(sessionId),
      retryInterval,
      onsessioninitialized: (id) => void transports.set(id, transport),
      onsessionclosed: async (id) => {
        transports.delete(id);
        await stores.deleteSession(id);
      },
    });
    await mcpServer().connect(transport);
    return transport;
  };

  // Another process's session: a stateless transport on that session's
  // store replays what it holds, and its stream ends once the replay is
  // sent (the transport hands out the stream right after replayEventsAfter).
  const replayOnly = async (sessionId: string, req: IncomingMessage, res: ServerResponse) => {
    let store: McpEventStore;
    try {
      store = stores.session(sessionId);
    } catch {
      return answer(res, 400, 'Bad session id');
    }
    stats.replays++;
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      eventStore: {
        storeEvent: (streamId, message) => store.storeEvent(streamId, message),
        getStreamIdForEventId: (eventId) => store.getStreamIdForEventId(eventId),
        async replayEventsAfter(lastEventId, send) {
          const streamId = await store.replayEventsAfter(lastEventId, send);
          setImmediate(() => void transport.close());
          return streamId;
        },
      },
    });
    await transport.handleRequest(req, res);
  };

  const server = createServer(async (req, res) => {
    try {
      if (req.url === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(stats));
      }
      const sessionId = req.headers['mcp-session-id'] as string | undefined;
      const resuming = req.method === 'GET' && req.headers['last-event-id'] !== undefined;
      let transport = sessionId === undefined ? undefined : transports.get(sessionId);
      if (!transport && sessionId === undefined && req.method === 'POST') {
        transport = await newSession();
      }
      if (resuming) stats.resumedAt.push(Date.now());
      if (transport) {
        if (resuming) stats.resumes++;
        return await transport.handleRequest(req, res);
      }
      if (resuming && sessionId !== undefined) return await replayOnly(sessionId, req, res);
      answer(res, 404, 'Session not found');
    } catch (error) {
      if (!res.headersSent) answer(res, 500, String(error));
      else res.destroy();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stats,
    async close() {
      for (const transport of transports.values()) await transport.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function answer(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message }, id: null }));
}
