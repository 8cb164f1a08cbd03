/// <reference types="node" />
/**
 * The request and response `node:http` and the `node:http2` compat API hand
 * a listener: the types every file of the Node adapter shares.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/**
 * A request as `node:http` or the `node:http2` compat API hands it over:
 * what `toNodeHandler`'s listener takes.
 *
 * @example
 * ```ts
 * const listener: (req: NodeRequest, res: NodeResponse) => Promise<void> = toNodeHandler(app);
 * ```
 */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/**
 * A response as `node:http` or the `node:http2` compat API hands it over:
 * what `toNodeHandler`'s listener writes to.
 *
 * @example
 * ```ts
 * http2.createServer((req: NodeRequest, res: NodeResponse) => toNodeHandler(app)(req, res));
 * ```
 */
export type NodeResponse = ServerResponse | Http2ServerResponse;
