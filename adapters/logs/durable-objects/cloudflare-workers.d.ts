// The one name ssekit/durable-objects takes from workerd's built-in module,
// typed as little as it uses (no dependency on @cloudflare/workers-types,
// whose fuller declaration of the same module merges with or replaces this).
declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected readonly ctx: import('./index.ts').DurableObjectStateLike;
    protected readonly env: Env;
    constructor(ctx: import('./index.ts').DurableObjectStateLike, env: Env);
  }
}
