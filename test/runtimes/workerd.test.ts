import { Miniflare } from 'miniflare';
import { bundle, type Runtime } from './harness.ts';
import { runtimeSuite } from './suite.ts';

// workerd through miniflare, with and without the flag that makes it report
// disconnects. Without it the gap is asserted, not hidden.
function workerd(requestSignal: boolean): Runtime {
  return {
    name: `workerd (ssekit/workers defineWorker, enable_request_signal ${requestSignal ? 'on' : 'off'})`,
    gaps: { noDisconnectNotice: !requestSignal },
    async start() {
      const worker = new Miniflare({
        modules: true,
        scriptPath: await bundle('workers.ts', 'neutral'),
        compatibilityDate: '2025-06-01',
        compatibilityFlags: requestSignal ? ['enable_request_signal'] : [],
        host: '127.0.0.1',
        port: 0,
      });
      const url = await worker.ready;
      return { url: url.origin, stop: () => worker.dispose() };
    },
  };
}

runtimeSuite(workerd(true));
runtimeSuite(workerd(false));
