// What every process of the relay benchmark answers besides its own work:
// its CPU time, its memory after a full GC, and a clean exit.
import { type Handlers, settle } from './_resumable-process.ts';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

export const common = (cleanup: () => void = () => {}): Handlers => ({
  /** µs of CPU (user + system) since the process started. */
  async cpu() {
    const { user, system } = process.cpuUsage();
    return { cpu: user + system };
  },
  /**
   * After a full GC: the JS heap plus external memory (which counts every
   * ArrayBuffer and Buffer already, so arrayBuffers is not added again), and RSS.
   */
  async memory() {
    gc();
    gc();
    const { heapUsed, external, rss } = process.memoryUsage();
    return { heap: heapUsed + external, rss };
  },
  async close() {
    cleanup();
    // After the reply has left.
    settle(50).then(() => process.exit(0));
    return {};
  },
});
