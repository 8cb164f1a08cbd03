/// <reference types="node" />
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';
import { bundle, type Runtime } from './harness.ts';
import { runtimeSuite } from './suite.ts';

// workerd through miniflare, with and without the flag that makes it report
// disconnects. Without it the gap is asserted, not hidden.
function workerd(requestSignal: boolean): Runtime {
  return {
    name: `workerd (ssekit/workers defineWorker, enable_request_signal ${requestSignal ? 'on' : 'off'})`,
    gaps: { noDisconnectNotice: !requestSignal, cleanupNeedsWaitUntil: requestSignal },
    // workerd logs a cancelled invocation (the cleanupNeedsWaitUntil gap), so only the warning is checked.
    prints: {
      text: 'enable_request_signal compatibility flag is off',
      times: requestSignal ? 0 : 1,
    },
    async start() {
      let printed = '';
      const worker = new Miniflare({
        // What the worker logs: the adapter's warning must come exactly once.
        handleRuntimeStdio(stdout: Readable, stderr: Readable) {
          for (const stream of [stdout, stderr]) stream.on('data', (chunk) => (printed += chunk));
        },
        modules: true,
        scriptPath: await bundle('workers.ts', 'neutral'),
        compatibilityDate: '2025-06-01',
        compatibilityFlags: requestSignal ? ['enable_request_signal'] : [],
        host: '127.0.0.1',
        port: 0,
      });
      const url = await worker.ready;
      return { url: url.origin, stop: () => worker.dispose(), printed: () => printed };
    },
  };
}

runtimeSuite(workerd(true));
runtimeSuite(workerd(false));
