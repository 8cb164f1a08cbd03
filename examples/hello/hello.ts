import { sleep, sseResponse } from 'ssekit';

/**
 * A fetch handler that counts, one event a second. A client that reconnects
 * sends the last id it saw (`Last-Event-ID`) and the count resumes after it.
 */
export const hello = (request: Request): Response =>
  sseResponse(
    async function* ({ lastEventId, signal }) {
      let n = Number(lastEventId) || 0;
      do yield { event: 'hello', id: ++n, data: `hello #${n}` };
      while (await sleep(1000, signal));
    },
    { request },
  );
