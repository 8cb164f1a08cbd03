/// <reference types="node" />
/**
 * The body of a Node request as a handler reads it: a web stream over
 * Node's request, with its backpressure, and what becomes of the part the
 * handler leaves.
 *
 * A handler may stop reading at any point: cancel the stream (a body
 * limit does), break out of `for await`, throw, or let its response end
 * first. From then on nothing reaches the stream and its listeners are
 * gone. The rest of the body is read and thrown away, so that the connection
 * can serve its next request, as Node does with a body nobody reads; but
 * only up to `MAX_UNREAD` bytes. A client that sends more than that is no
 * longer read: it gets its response, then its connection is closed
 * (HTTP/1.1; under HTTP/2, Node resets the stream itself when the response
 * ends, as RFC 9113 §8.1 suggests).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';

type Incoming = IncomingMessage | Http2ServerRequest;

/**
 * @internal Bytes of a body the handler left that are read and thrown away to keep its
 * connection; past them the connection is closed instead. Reading 1 MiB
 * costs less than a new connection's round trips; reading a hostile
 * client's gigabytes would cost a core for nothing. (Go reads 256 KiB;
 * 1 MiB is nginx's default `client_max_body_size`, the body a limit most
 * often refuses.)
 */
export const MAX_UNREAD = 1024 * 1024;

/**
 * Milliseconds a connection closed on a body it will not read waits, its
 * response sent and its own side shut, before it is destroyed: closing a
 * socket with unread bytes sends a reset, which can make the client throw
 * away the response it has not read yet (RFC 9112 §9.6).
 */
const LINGER = 1000;

const aborted = () =>
  new DOMException('The client left before the request body arrived in full.', 'AbortError');

/** Whether the client left, or the connection closed: no more of the body will come. */
function gone(req: Incoming): boolean {
  return req.destroyed || (req as Http2ServerRequest).stream?.destroyed === true;
}

/**
 * @internal The body of one request: its stream, made when the handler first touches it,
 * and the rest dropped when the handler stops reading or the response ends.
 */
export class RequestBody {
  #req: Incoming;
  // Set while the stream takes the body; after that, nothing may call it.
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  // Bytes thrown away since the handler stopped reading; -1 while it reads.
  #dropped = -1;
  #over = false;

  constructor(req: Incoming) {
    this.#req = req;
  }

  /** The body as a stream: one that errors once the response is over or the client left. */
  stream(): ReadableStream<Uint8Array> {
    const req = this.#req;
    return new ReadableStream({
      start: (controller) => {
        if (this.#over) return controller.error(overError());
        if (gone(req)) return controller.error(aborted());
        this.#controller = controller;
        req.pause().on('data', this.#data).on('end', this.#end);
        // Node's 'close' before 'end' is a client that left: under HTTP/2
        // the request still ends after it, and what it read is not the body.
        req.on('error', this.#failed).on('close', this.#failed);
      },
      pull: () => void (this.#controller && req.resume()),
      cancel: () => this.#drop(),
    });
  }

  /**
   * The response is over: a read from now on rejects (as Deno's and Bun's do),
   * and the rest of the body is dropped; or, when there is more than
   * `MAX_UNREAD` of it, or an HTTP/2 client still sends, the request is ended
   * once the response is out.
   */
  finish(): void {
    this.#over = true;
    this.#release()?.error(overError());
    const req = this.#req;
    // An HTTP/2 stream is told to stop at no cost to its connection.
    const sending = req.httpVersionMajor >= 2 && !(req as Http2ServerRequest).stream.state.remoteClose;
    if (sending || this.#dropped > MAX_UNREAD) this.#close();
    else this.#drop();
  }

  #data = (chunk: Buffer): void => {
    const controller = this.#controller!;
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    if ((controller.desiredSize ?? 0) <= 0) this.#req.pause();
  };

  #end = (): void => this.#release()?.close();

  #failed = (): void => this.#release()?.error(aborted());

  /** Takes the controller, once, and the listeners with it. */
  #release(): ReadableStreamDefaultController<Uint8Array> | undefined {
    const controller = this.#controller;
    if (!controller) return undefined;
    this.#controller = undefined;
    this.#req
      .off('data', this.#data)
      .off('end', this.#end)
      .off('error', this.#failed)
      .off('close', this.#failed);
    return controller;
  }

  /** The handler stopped reading: the rest is read and thrown away, up to `MAX_UNREAD`. */
  #drop(): void {
    this.#release();
    if (this.#dropped >= 0) return;
    this.#dropped = 0;
    const req = this.#req;
    if (req.readableEnded || gone(req)) return;
    req.on('data', this.#discard).once('end', this.#stop).once('close', this.#stop).resume();
  }

  #discard = (chunk: Buffer): void => {
    this.#dropped += chunk.length;
    if (this.#dropped <= MAX_UNREAD) return;
    // Read no more: TCP's or HTTP/2's flow control holds the client back.
    this.#stop();
    this.#req.pause();
    if (this.#over) this.#close();
  };

  #stop = (): void => {
    this.#req.off('data', this.#discard).off('end', this.#stop).off('close', this.#stop);
  };

  /** Ends a request whose body will not be read, once its response is out. */
  #close(): void {
    const req = this.#req;
    if (gone(req)) return;
    if (req.httpVersionMajor >= 2) {
      // RST_STREAM with NO_ERROR, sent after the response: the client stops
      // sending and keeps the response (RFC 9113 §8.1); the session goes on.
      (req as Http2ServerRequest).stream.close();
      return;
    }
    // HTTP/1.1: a FIN after the response; the reset only after LINGER.
    const socket = req.socket;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER);
    socket.once('close', () => {
      clearTimeout(timer);
      req.destroy(); // as when a client leaves: whoever waits on the request hears of it
    });
  }
}

function overError(): TypeError {
  return new TypeError(
    'The response is over, and the rest of the request body with it: read the body before the response ends.',
  );
}
