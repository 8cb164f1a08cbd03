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

/** A Durable Object's id, storage, state and namespace (@cloudflare/workers-types, the part the blocks use). */
interface DurableObjectId {
  toString(): string;
}
interface DurableObjectStorage {
  sql: { exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[] } };
  transactionSync<T>(closure: () => T): T;
  get<T = unknown>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
  setAlarm(time: number): Promise<void>;
  deleteAll(): Promise<void>;
}
interface DurableObjectState {
  readonly id: DurableObjectId;
  readonly storage: DurableObjectStorage;
  abort(reason?: string): void;
  waitUntil(promise: Promise<unknown>): void;
}
type DurableObjectStub<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
} & { fetch(request: Request): Promise<Response> };
interface DurableObjectNamespace<T = unknown> {
  idFromName(name: string): DurableObjectId;
  idFromString(id: string): DurableObjectId;
  newUniqueId(): DurableObjectId;
  get(id: DurableObjectId): DurableObjectStub<T>;
}

/** workerd's built-in module, as @cloudflare/workers-types declares the part ssekit uses. */
declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }
}

/** Express 5 ships no types: a reader has @types/express. */
declare module 'express';

/** The request a handler is answering, in blocks that show only its body. */
declare const request: Request;
