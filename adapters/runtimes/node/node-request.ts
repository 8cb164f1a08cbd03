/// <reference types="node" />
/**
 * A Fetch `Request` over Node's request, built only as far as the handler
 * reads it. An event stream's handler reads the method, one header
 * (`Last-Event-ID`) and perhaps the URL; copying every header into a
 * `Headers`, making an `AbortController` and a full `Request` for each of
 * ten thousand connections is memory that idles alive as long as they do.
 *
 * @module
 */
import { ON_LEAVE } from '../../../src/server/direct.ts';
import { RequestBody } from './node-body.ts';
import type { NodeRequest } from './node-types.ts';

/**
 * @internal A `Request` (it passes `instanceof Request`) whose URL, headers
 * and signal are made on first read, and whose other members come from a
 * real `Request` made on first use of any of them (the body, `clone()`,
 * `json()`...).
 */
export class LazyRequest {
  #req: NodeRequest;
  #url: string | undefined;
  #headers: Headers | undefined;
  #abort: AbortController | undefined;
  #aborted = false;
  // Told when the client leaves, without a signal: see ON_LEAVE.
  #leaving: (() => void)[] | undefined;
  #request: Request | undefined;
  // Made when the body is first touched, or when the response ends.
  #body: RequestBody | undefined;

  constructor(req: NodeRequest) {
    this.#req = req;
  }

  get method(): string {
    return this.#req.method ?? 'GET';
  }

  get url(): string {
    if (this.#url !== undefined) return this.#url;
    const req = this.#req;
    const host = req.headers.host ?? req.headers[':authority'] ?? 'localhost';
    const secure = 'encrypted' in req.socket && req.socket.encrypted;
    // Express rewrites `url` under a mounted router; `originalUrl` is what was asked.
    const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    return (this.#url = `${secure ? 'https' : 'http'}://${host}${path}`);
  }

  get headers(): Headers {
    if (this.#headers) return this.#headers;
    const headers = new Headers();
    for (const [name, value] of Object.entries(this.#req.headers)) {
      if (name.startsWith(':') || value === undefined) continue; // HTTP/2 pseudo-headers
      if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      else headers.append(name, value);
    }
    return (this.#headers = headers);
  }

  /** Aborts when the client leaves or the server shuts down. */
  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.#aborted) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  // Static, so that the request a handler gets carries no member of ours.

  /** The adapter: the client left, or a shutdown. */
  static abort(request: LazyRequest): void {
    if (request.#aborted) return;
    request.#aborted = true;
    request.#abort?.abort();
    const leaving = request.#leaving;
    request.#leaving = undefined;
    if (leaving) for (const callback of leaving) callback();
  }

  /** @internal The engine's light watch of the client leaving (see `ON_LEAVE`). */
  [ON_LEAVE](callback: () => void): () => void {
    if (this.#aborted) {
      callback();
      return () => {};
    }
    (this.#leaving ??= []).push(callback);
    return () => {
      const index = this.#leaving?.indexOf(callback) ?? -1;
      if (index >= 0) this.#leaving!.splice(index, 1);
    };
  }

  /**
   * The response is over: what is left of the body is dropped (see
   * `RequestBody`), so the connection can serve its next request, and the
   * body can no longer be read.
   */
  static drainBody(request: LazyRequest): void {
    (request.#body ??= new RequestBody(request.#req)).finish();
  }

  /** The full `Request`, for the members read rarely. */
  #full(): Request {
    if (this.#request) return this.#request;
    const req = this.#req;
    const method = this.method;
    // A body parser (Express's `json()`, say) may have read the body already;
    // one the response's end dropped is not an empty body.
    const hasBody =
      method !== 'GET' && method !== 'HEAD' && (this.#body !== undefined || !req.readableEnded);
    return (this.#request = new Request(this.url, {
      method,
      headers: this.headers,
      signal: this.signal,
      body: hasBody ? (this.#body ??= new RequestBody(req)).stream() : null,
      duplex: 'half', // a streamed body is read as it arrives
    } as RequestInit));
  }

  static {
    // Every other member of Request.prototype, from the full request.
    const own = new Set(Object.getOwnPropertyNames(LazyRequest.prototype));
    for (const [name, descriptor] of Object.entries(
      Object.getOwnPropertyDescriptors(Request.prototype),
    )) {
      if (own.has(name)) continue;
      if (descriptor.get) {
        Object.defineProperty(LazyRequest.prototype, name, {
          get(this: LazyRequest) {
            return Reflect.get(this.#full(), name);
          },
          configurable: true,
        });
      } else if (typeof descriptor.value === 'function') {
        Object.defineProperty(LazyRequest.prototype, name, {
          value(this: LazyRequest, ...args: unknown[]) {
            const request = this.#full();
            return (Reflect.get(request, name) as (...args: unknown[]) => unknown).apply(
              request,
              args,
            );
          },
          configurable: true,
          writable: true,
        });
      }
    }
    Object.setPrototypeOf(LazyRequest.prototype, Request.prototype);
  }
}
