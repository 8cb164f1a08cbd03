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
 * longer read: it gets its response, then its HTTP/1.1 connection is closed,
 * or its HTTP/2 stream reset with NO_ERROR (RFC 9113 §8.1). Once the
 * response is over, the body can no longer be read; a client that leaves
 * mid-upload fails the read, never ends it short.
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
  // A stream closed with chunks the handler has not read yet: they go at the
  // response's end too, so a read after it rejects whatever Node's timing.
  #closed: ReadableStreamDefaultController<Uint8Array> | undefined;
  // Bytes thrown away since the handler stopped reading; -1 while it reads.
  #dropped = -1;
  #over = false;

  constructor(req: Incoming) {
    this.#req = req;
    // Node keeps an HTTP/2 stream whose body was read from open until that
    // body ends, and its response's 'close' waits for that: a client that
    // sends on, or a stream paused with a reader held, would hold it for
    // ever. Its response sent, the request is over.
    const { stream } = req as Http2ServerRequest;
    if (req.httpVersionMajor >= 2 && !stream.writableFinished) {
      stream.once('finish', () => this.finish());
    }
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
        // A client that left: 'close' (or 'error') before 'end'. Under HTTP/2
        // a reset stream says 'aborted', then ends as if the body were whole.
        req.on('error', this.#failed).on('close', this.#failed).on('aborted', this.#failed);
      },
      pull: () => void (this.#controller && req.resume()),
      cancel: () => this.#drop(),
    });
  }

  /**
   * The response is over: a read from now on rejects (as Deno's and Bun's do),
   * and the rest of the body is dropped; past `MAX_UNREAD` of it, or under
   * HTTP/2 while the client still sends, the request is ended instead.
   */
  finish(): void {
    if (this.#over) return;
    this.#over = true;
    // Erroring a stream whose queue is drained does nothing.
    (this.#release() ?? this.#closed)?.error(overError());
    this.#closed = undefined;
    if (this.#dropped <= MAX_UNREAD) this.#drop();
    // Past MAX_UNREAD, the connection closes; an HTTP/2 stream is told to
    // stop at no cost to its connection.
    if (this.#dropped > MAX_UNREAD || this.#req.httpVersionMajor >= 2) this.#close();
  }

  #data = (chunk: Buffer): void => {
    const controller = this.#controller!;
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    if ((controller.desiredSize ?? 0) <= 0) this.#req.pause();
  };

  #end = (): void => {
    this.#closed = this.#release();
    this.#closed?.close();
  };

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
      .off('close', this.#failed)
      .off('aborted', this.#failed);
    return controller;
  }

  /** The handler stopped reading: the rest is read and thrown away, up to `MAX_UNREAD`. */
  #drop(): void {
    this.#release();
    if (this.#dropped >= 0) return;
    this.#dropped = 0;
    const req = this.#req;
    if (req.readableEnded || gone(req)) return;
    req.on('data', this.#discard).once('end', this.#stop).once('close', this.#stop);
    // Once its response is over, Node tells an HTTP/1.1 request nothing of
    // its connection closing: the socket does.
    if (req.httpVersionMajor < 2) req.socket.once('close', this.#lost);
    req.resume();
  }

  #discard = (chunk: Buffer): void => {
    this.#dropped += chunk.length;
    if (this.#dropped <= MAX_UNREAD) return;
    // Read no more: TCP's or HTTP/2's flow control holds the client back.
    this.#req.off('data', this.#discard).pause();
    if (this.#over) this.#close();
  };

  #stop = (): void => {
    const req = this.#req;
    req.off('data', this.#discard).off('end', this.#stop).off('close', this.#stop);
    if (req.httpVersionMajor < 2) req.socket.off('close', this.#lost);
  };

  /** The connection closed before the body ended: the request ends too, as when a client leaves. */
  #lost = (): void => {
    this.#stop();
    this.#req.destroy();
  };

  /** Ends a request whose body will not be read, once its response is out. */
  #close(): void {
    const req = this.#req;
    if (gone(req)) return;
    if (req.httpVersionMajor >= 2) {
      this.#reset(req as Http2ServerRequest);
      return;
    }
    // HTTP/1.1: a FIN after the response; the reset only after LINGER.
    const socket = req.socket;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER);
    socket.once('close', () => clearTimeout(timer));
  }

  /**
   * RST_STREAM with NO_ERROR once the response is out, if the client still
   * sends: it stops, keeps the response (RFC 9113 §8.1), and the session
   * goes on. A turn after the response's 'finish', as Node closes streams
   * itself: a reset from inside it, once the client's side has ended, spins
   * Node's HTTP/2 session for ever.
   */
  #reset(req: Http2ServerRequest): void {
    const { stream } = req;
    const reset = () =>
      setImmediate(() => {
        if (req.readableEnded || stream.closed || stream.destroyed) return;
        this.#stop();
        stream.close();
        req.resume(); // what Node holds of the body flows out, so the stream can close
      });
    if (stream.writableFinished) reset();
    else stream.once('finish', reset);
  }
}

function overError(): TypeError {
  return new TypeError(
    'The response is over, and the rest of the request body with it: read the body before the response ends.',
  );
}
