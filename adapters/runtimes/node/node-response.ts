/// <reference types="node" />
/**
 * A Fetch `Response` written into Node's response: the status and headers
 * at once (HTTP/1-only headers kept from HTTP/2 clients), then the bytes,
 * directly from an ssekit stream (see `directStream`) or by reading the
 * body, with Node's backpressure and the write timeout either way.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { timeoutOption } from '../../../src/checks.ts';
import { directStream } from '../../../src/server/direct.ts';
import { HOP_BY_HOP } from '../../../src/server/headers.ts';
import { DirectConnection, endBroken } from './node-direct.ts';
import { watchStall } from './node-stall.ts';
import type { NodeRequest, NodeResponse } from './node-types.ts';

/** @internal What `respond` started: its end, and how a shutdown ends it at once. */
export interface Sending {
  done: Promise<void>;
  shutdown(): void;
}

/** Whether the connection of `res` is closed (HTTP/2 compat responses have no `destroyed`). */
function isGone(res: NodeResponse): boolean {
  return res.destroyed || (res as Http2ServerResponse).stream?.destroyed === true;
}

/**
 * @internal Sends `response` on `res`: directly when ssekit made it, else by reading
 * its body. `undefined` when there was nothing to stream.
 */
export function respond(
  response: Response,
  req: NodeRequest,
  res: NodeResponse,
  writeTimeout: number,
): Sending | undefined {
  writeHead(req, res, response);
  // The client left while the handler worked: 'close' came and went, so
  // nothing below would hear of it. The body's cancel ends the stream.
  if (isGone(res)) {
    response.body?.cancel().catch(() => {});
    return undefined;
  }
  const direct = directStream(response);
  if (direct) {
    const connection = new DirectConnection(res, direct, writeTimeout);
    if (connection.done) return connection as Sending;
  }
  if (response.body) return pump(response.body, res, writeTimeout);
  res.end();
}

function writeHead(req: NodeRequest, res: NodeResponse, response: Response): void {
  const http2 = req.httpVersionMajor >= 2;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    if (http2 && HOP_BY_HOP.includes(name)) continue;
    headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
  }
  (res as ServerResponse).writeHead(response.status, headers);
  // Without this Node holds the headers until the first body write.
  (res as ServerResponse).flushHeaders();
}

/** @internal The write timeout in ms, 0 for none: checked, and clamped to what a timer can wait. */
export function writeTimeoutOption(value: unknown): number {
  return timeoutOption('writeTimeout', value, 30_000);
}

/** The body path: reads `body` and writes it, with backpressure and the write timeout. */
function pump(body: ReadableStream<Uint8Array>, res: NodeResponse, writeTimeout: number): Sending {
  const reader = body.getReader();
  // A client that leaves cancels the body: the source's signal aborts and its
  // `finally` runs. After a normal end 'close' comes too late to matter.
  let gone = false;
  const cancel = (reason?: unknown) => {
    if (gone) return;
    gone = true;
    reader.cancel(reason).catch(() => {});
  };
  // A client that accepts nothing for writeTimeout: the body learns why
  // (a TimeoutError), and what Node holds for the client is dropped.
  const stalled = () => {
    cancel(new DOMException('The client accepted no bytes within writeTimeout.', 'TimeoutError'));
    res.destroy();
  };
  if (isGone(res)) cancel();
  res.once('close', cancel);
  // A body that errors while a write waits for 'drain' (a push writer's
  // overflow) cuts the connection at once: the backlog is dropped, not
  // delivered to a client that stopped reading. Otherwise (a relay whose
  // upstream failed) what was written arrives, then the end reads as broken.
  let draining = false;
  reader.closed.catch(() => draining && res.destroy());
  const run = async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || gone) break;
        if (!(res as ServerResponse).write(value)) {
          draining = true;
          await settled(res, 'drain', writeTimeout, stalled);
          draining = false;
        }
      }
      if (!gone) {
        res.end();
        // What end() could not flush yet is held too: the same bound applies.
        if (!res.writableFinished) void settled(res, 'finish', writeTimeout, () => res.destroy());
      }
    } catch (error) {
      // An overflow's AbortError is the stream's own doing, told to onClose.
      if (!gone && (error as Error)?.name !== 'AbortError') {
        console.error('ssekit/node: the response body failed:', error);
      }
      endBroken(res);
    } finally {
      res.off('close', cancel);
    }
  };
  // A shutdown: the body is cancelled (an ssekit stream closes at once) and
  // the response ends cleanly.
  const shutdown = () => {
    cancel();
    res.end();
  };
  return { done: run(), shutdown };
}

/**
 * Resolves on `event` ('drain' or 'finish'), or on 'close': after a destroy
 * they never come. With a timeout, calls `stalled` when the client took
 * none of what Node holds for it for `timeout` ms (see `watchStall`); a slow
 * client that takes some is never cut.
 */
function settled(
  res: NodeResponse,
  event: 'drain' | 'finish',
  timeout: number,
  stalled: () => void,
): Promise<void> {
  return new Promise((resolve) => {
    // 'close' follows a stall's destroy, and settles.
    const unwatch = timeout ? watchStall(res, timeout, stalled) : undefined;
    const settle = () => {
      unwatch?.();
      res.off(event, settle).off('close', settle);
      resolve();
    };
    res.once(event, settle).once('close', settle);
  });
}
