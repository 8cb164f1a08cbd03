// What the code blocks of README.md and docs/ assume without showing it: the
// runtimes' own globals, as their types declare them (only the part the
// blocks use), and a few names of the reader's own that many blocks share.
// A name one block assumes goes in a `<!-- preamble: … -->` before it.
// test/node/docs-snippets.test.ts checks every block with this file.

/** Deno's global (deno's own types declare it in full). */
declare namespace Deno {
  const env: { get(name: string): string | undefined };
}

/** What a Worker's fetch gets as its third argument (@cloudflare/workers-types). */
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

/** workerd's built-in module, as @cloudflare/workers-types declares the part ssekit uses. */
declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected ctx: unknown;
    protected env: Env;
    constructor(ctx: unknown, env: Env);
  }
}

/** Express 5 ships no types: a reader has @types/express. */
declare module 'express';

/** The request a handler is answering, in blocks that show only its body. */
declare const request: Request;
