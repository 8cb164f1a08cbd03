// The processes of the resumable-stream benchmark, seen from the parent:
// each is this benchmark's own bundle run again with RS_ROLE set (see
// bench/_resumable-worker.ts), driven by request and reply over IPC.
import { type ChildProcess, fork } from 'node:child_process';

export const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const monotonic = () => Number(process.hrtime.bigint()) / 1e6;

export type Reply = { op: string; error?: string; [key: string]: any };
export type Message = { op: string; [key: string]: any };
export type Handlers = Record<string, (message: Message) => Promise<object | undefined>>;

/**
 * The child's side of a {@link Worker}: each { op } from the parent gets one
 * reply { op, ... } from `handlers[op]` (or { op, error }); 'ready' first.
 */
export function answer(handlers: Handlers) {
  process.on('message', async (message: Message) => {
    try {
      const reply = await handlers[message.op]!(message);
      process.send!({ op: message.op, ...reply });
    } catch (error) {
      process.send!({ op: message.op, error: String((error as Error)?.stack ?? error) });
    }
  });
  process.send!({ op: 'ready' });
}

/** A worker process: `call(op, args)` resolves with its reply. */
export class Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  #waiting = new Map<string, (reply: Reply) => void>();

  constructor(role: string, profile?: string) {
    const execArgv = [...process.execArgv];
    if (profile)
      execArgv.push(
        '--cpu-prof',
        `--cpu-prof-dir=${profile}`,
        `--cpu-prof-name=${role}-${Date.now()}.cpuprofile`,
      );
    this.child = fork(process.argv[1]!, [], { env: { ...process.env, RS_ROLE: role }, execArgv });
    this.ready = new Promise((resolve) => this.#waiting.set('ready', () => resolve()));
    this.child.on('message', (reply: Reply) => {
      const waiting = this.#waiting.get(reply.op);
      this.#waiting.delete(reply.op);
      waiting?.(reply);
    });
  }

  call(op: string, args: object = {}, timeout = 120_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${op}: no reply in ${timeout} ms`)),
        timeout,
      );
      this.#waiting.set(op, (reply) => {
        clearTimeout(timer);
        if (reply.error) reject(new Error(`${op}: ${reply.error}`));
        else resolve(reply);
      });
      this.child.send({ op, ...args });
    });
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call('close', {}, 10_000).catch(() => this.child.kill('SIGKILL'));
    await Promise.race([exited, settle(5000)]);
    this.child.kill('SIGKILL');
  }
}
