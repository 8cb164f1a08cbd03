// The resumable chat: a made-up model writes its answer token by token into
// a resumable stream, which outlives the request that started it. A reload,
// a second tab or a dropped connection reads the same answer again, from
// the start or after Last-Event-ID; the stop button ends it from anywhere.

import {
  createMemoryStreamStore,
  createResumableStreams,
  isStreamId,
  type StreamEnd,
} from '../../src/resumable/index.ts';
import { page, type Routes } from '../shared.ts';

// What the made-up model says: no model to download, only a generator with
// a delay between tokens, as a real one streams.
const ANSWERS = [
  'Server-Sent Events are plain HTTP: the server keeps the response open and writes one event after another, each a few lines of text ending in a blank line. ' +
    'The browser reads them with EventSource, which reconnects by itself and sends the id of the last event it got, so the server can carry on where it left off. ' +
    'A resumable stream keeps every token in a log before any reader sees it: a reload, a second tab or another device reads the same answer, and the model writes it once.',
  'A model writes its answer token by token, and the answer is worth more than the request that asked for it. ' +
    'So the answer is written to a log with an id per token, and its end is the last entry of that log: whoever reads it learns when it ended, and how. ' +
    'Reload this page while it writes: the answer comes back whole, once, and goes on.',
];

/** The tokens of an answer: words with their spaces, longer words in two pieces. */
export function tokensOf(text: string): string[] {
  return (text.match(/\S+\s*/g) ?? []).flatMap((word) =>
    word.length > 8 ? [word.slice(0, 4), word.slice(4)] : [word],
  );
}

/** The answer the made-up model gives to `prompt`: the same prompt, the same answer. */
export function answerTo(prompt: string): string {
  let hash = 0;
  for (const char of prompt) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return ANSWERS[hash % ANSWERS.length]!;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
const delay = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/**
 * The chat example's routes: `GET /chat` (the page), `POST /chat/answers`
 * (starts an answer, gives its id), `GET /chat/answers/:id/events` (reads
 * it), `GET /chat/answers/:id` (its state) and `POST /chat/answers/:id/stop`.
 */
export function createChatApp(options: { tokenMs?: number } = {}) {
  const tokenMs = options.tokenMs ?? 60;
  // Answers are kept ten minutes after their end, for reloads and late tabs.
  const streams = createResumableStreams({
    store: createMemoryStreamStore({ maxStreams: 1000, maxBytes: 16 << 20 }),
    retention: 10 * 60_000,
    // The page learns how an answer ended, and stops reading.
    endMessages: (end: StreamEnd) => [{ event: 'end', data: end.state }],
  });
  const running = new Set<string>();

  const routes: Routes = async (request, url) => {
    const { pathname } = url;
    if (pathname === '/chat') return page(new URL('./page.html', import.meta.url));
    if (request.method === 'POST' && pathname === '/chat/answers') {
      const prompt = (await request.text()).trim().slice(0, 500);
      // Unguessable: whoever has the id reads the answer.
      const id = crypto.randomUUID();
      const tokens = tokensOf(answerTo(prompt));
      const started = await streams.start(id, async function* ({ signal }) {
        running.add(id);
        try {
          for (const token of tokens) {
            await delay(tokenMs, signal);
            if (signal.aborted) return; // stopped: the end is written already
            yield { event: 'token', data: token };
          }
        } finally {
          running.delete(id);
        }
      });
      // The page reads the answer with EventSource, a GET of its own.
      await started.body?.cancel();
      return Response.json({ id }, { status: 201 });
    }
    const found = /^\/chat\/answers\/([^/]+)(\/events|\/stop)?$/.exec(pathname);
    if (!found) return undefined;
    const [, id = '', action] = found;
    if (!isStreamId(id)) return new Response('No such answer\n', { status: 404 });
    if (action === '/events') {
      // After the Last-Event-ID EventSource sends when it reconnects; from
      // the start on a new page. An answer unknown or expired: 204, and
      // EventSource stops asking.
      return streams.resume(id, { request, retry: 1000 });
    }
    if (action === '/stop' && request.method === 'POST') {
      return Response.json({ stopped: await streams.stop(id) });
    }
    return Response.json({ state: await streams.status(id) });
  };

  return {
    routes,
    streams,
    /** Stops the answers still being written: their readers close, their timers go. */
    close: async () => {
      await Promise.all([...running].map((id) => streams.stop(id)));
    },
  };
}
