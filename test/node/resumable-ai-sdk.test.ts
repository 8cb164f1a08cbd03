// The AI SDK (`ai`), for real, against a resumable stream on a real Node
// server: the route starts the SDK's own UI message stream through
// `streams.start`, the GET resume route answers from the start (the SDK's
// client rebuilds the message from scratch: its `resumeStreamIsReplay`) or
// 204 for "no active stream". The SDK's client transport and its `Chat`
// resume after a cut and after the end, and build the message an uncut run
// builds. What the SDK does, read in node_modules/ai: `reconnectToStream`
// GETs `${api}/${chatId}/stream` with no Last-Event-ID, reads 204 as `null`,
// and its parser drops `data: [DONE]`.
import {
  AbstractChat,
  type ChatState,
  type ChatStatus,
  createUIMessageStream,
  createUIMessageStreamResponse,
  DefaultChatTransport,
  readUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
} from 'ai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type NodeServer, serve } from '../../adapters/runtimes/node/index.ts';
import { createMemoryStreamStore, createResumableStreams } from '../../src/resumable/index.ts';

const HEADERS = { 'x-vercel-ai-ui-message-stream': 'v1' };
const TOKENS =
  'A resumable answer outlives the request that asked for it , and the SDK builds it whole .'
    .split(' ')
    .map((word, index) => (index === 0 ? word : ` ${word}`));

const streams = createResumableStreams({ store: createMemoryStreamStore() });
/** chatId → the stream of its latest answer, as a chat app stores its `activeStreamId`. */
const active = new Map<string, string>();
/** chatId → a promise the model waits on halfway: the test cuts while the answer is surely unfinished. */
const holds = new Map<string, Promise<void>>();
/** The headers of every resume request, to see what the SDK sends. */
const resumeHeaders: Headers[] = [];
let answers = 0;

/** A made-up model, written with the SDK's own UI message stream: no model, no network. */
function model(chatId: string, streamId: string, signal: AbortSignal): ReadableStream<Uint8Array> {
  const stream = createUIMessageStream({
    async execute({ writer }) {
      writer.write({ type: 'start', messageId: `answer-${streamId}` });
      writer.write({ type: 'start-step' });
      writer.write({ type: 'text-start', id: 'text-1' });
      for (const [index, delta] of TOKENS.entries()) {
        if (index === TOKENS.length >> 1) await holds.get(chatId);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (signal.aborted) return;
        writer.write({ type: 'text-delta', id: 'text-1', delta });
      }
      writer.write({ type: 'text-end', id: 'text-1' });
      writer.write({ type: 'finish-step' });
      writer.write({ type: 'finish', finishReason: 'stop' });
    },
  });
  return createUIMessageStreamResponse({ stream }).body!;
}

let server: NodeServer;

beforeAll(async () => {
  server = await serve(
    async (request) => {
      const { pathname } = new URL(request.url);
      if (request.method === 'POST' && pathname === '/api/chat') {
        const { id: chatId } = (await request.json()) as { id: string };
        const streamId = `${chatId}.${++answers}`; // one id per answer
        active.set(chatId, streamId);
        return streams.start(streamId, ({ signal }) => model(chatId, streamId, signal), {
          request,
          headers: HEADERS,
        });
      }
      const resume = /^\/api\/chat\/([^/]+)\/stream$/.exec(pathname);
      if (request.method === 'GET' && resume) {
        resumeHeaders.push(request.headers);
        const streamId = active.get(decodeURIComponent(resume[1]!));
        if (!streamId) return new Response(null, { status: 204 });
        return streams.resume(streamId, { request, from: 'start', headers: HEADERS });
      }
      return new Response('Not found\n', { status: 404 });
    },
    { grace: 200 },
  );
});

afterAll(() => server.close());

const transport = () => new DefaultChatTransport({ api: `${server.url}/api/chat` });
const userMessage = (text: string): UIMessage => ({
  id: `user-${text}`,
  role: 'user',
  parts: [{ type: 'text', text }],
});
const send = (chatId: string, abortSignal?: AbortSignal) =>
  transport().sendMessages({
    chatId,
    messages: [userMessage('hello')],
    trigger: 'submit-message',
    messageId: undefined,
    abortSignal,
  });

/** The last message the SDK builds from `stream`. */
async function messageOf(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage> {
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return last!;
}

/** A hold the model waits on, and its release. */
function hold(chatId: string): () => void {
  let release = () => {};
  holds.set(chatId, new Promise<void>((resolve) => (release = resolve)));
  return release;
}

const whole = TOKENS.join('');

describe('the AI SDK resumes a UI message stream kept by createResumableStreams', () => {
  test('DefaultChatTransport.reconnectToStream after a cut builds the message an uncut run builds', async () => {
    const uncut = await messageOf(await send('chat-uncut'));
    expect(uncut.parts).toContainEqual({ type: 'text', text: whole, state: 'done' });

    const release = hold('chat-cut');
    const controller = new AbortController();
    const reader = (await send('chat-cut', controller.signal)).getReader();
    let deltas = 0;
    while (deltas < 3) {
      const { value } = await reader.read();
      if (value?.type === 'text-delta') deltas++;
    }
    controller.abort(); // the page reloads, the phone changes network
    await expect(reader.read()).rejects.toThrow();
    const streamId = active.get('chat-cut')!;
    expect(await streams.status(streamId)).toBe('active'); // cut mid-answer

    const resumed = await transport().reconnectToStream({ chatId: 'chat-cut' });
    expect(resumed).not.toBeNull();
    release();
    const message = await messageOf(resumed!);
    expect(message.id).toBe(`answer-${streamId}`);
    expect(message.role).toBe(uncut.role);
    expect(message.parts).toEqual(uncut.parts);
    expect(await streams.status(streamId)).toBe('done');
    // The SDK asks at `${api}/${chatId}/stream`, and sends no Last-Event-ID:
    // hence `from: 'start'` in the resume route.
    expect(resumeHeaders.at(-1)!.has('last-event-id')).toBe(false);
  }, 20_000);

  test('after the end a resume gives the whole message again; no active stream, 204, is null', async () => {
    const first = await messageOf(await send('chat-ended'));
    const again = await transport().reconnectToStream({ chatId: 'chat-ended' });
    expect(again).not.toBeNull();
    const message = await messageOf(again!);
    expect(message).toEqual(first);
    expect(message.id).toBe(`answer-${active.get('chat-ended')}`);
    expect(message.parts).toContainEqual({ type: 'text', text: whole, state: 'done' });

    expect(await transport().reconnectToStream({ chatId: 'chat-never-started' })).toBeNull();
  }, 20_000);

  test("the wire is the SDK's own: its header, `data:` lines, `data: [DONE]` last", async () => {
    await messageOf(await send('chat-wire'));
    const streamId = active.get('chat-wire')!;
    const response = await fetch(`${server.url}/api/chat/chat-wire/stream`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    // Each event: the store's id, then one `data:` line of the SDK's JSON.
    const events = text.split('\n\n').filter((event) => event && !event.startsWith(':'));
    for (const event of events) expect(event).toMatch(/^(retry: \d+\n)?id: \S+\ndata: \S.*$/);
    // The data lines are those the SDK's own response sends, in order.
    const direct = await new Response(
      model('chat-direct', streamId, new AbortController().signal),
    ).text();
    const data = (wire: string) => wire.split('\n').filter((line) => line.startsWith('data: '));
    expect(data(text)).toEqual(data(direct));
    expect(data(text).length).toBe(TOKENS.length + 7);
  }, 20_000);

  test('Chat.resumeStream on a reloaded page shows the whole answer once', async () => {
    const release = hold('chat-reload');
    const before = new TestChat('chat-reload');
    const sent = before.sendMessage({ text: 'hello' });
    await expect
      .poll(() => textOf(before.messages.at(-1)).length, { timeout: 10_000 })
      .toBeGreaterThan(0);
    await before.stop(); // the page goes away mid-answer
    await sent;
    expect(textOf(before.messages.at(-1)).length).toBeLessThan(whole.length);

    // The reloaded page: the chat's messages from the server, then a resume.
    const after = new TestChat('chat-reload', [before.messages[0]!]);
    const resumed = after.resumeStream();
    release();
    await resumed;
    expect(after.status).toBe('ready');
    expect(after.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(textOf(after.messages[1])).toBe(whole);
    expect(after.messages[1]!.id).toBe(`answer-${active.get('chat-reload')}`);
  }, 20_000);
});

const textOf = (message: UIMessage | undefined) =>
  message?.role !== 'assistant'
    ? ''
    : message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

/** The chat state a UI framework keeps (as `@ai-sdk/react` does), in plain arrays. */
class ArrayState implements ChatState<UIMessage> {
  status: ChatStatus = 'ready';
  error: Error | undefined = undefined;
  constructor(public messages: UIMessage[]) {}
  pushMessage = (message: UIMessage) => {
    this.messages = [...this.messages, message];
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
  };
  replaceMessage = (index: number, message: UIMessage) => {
    this.messages = this.messages.map((old, at) => (at === index ? this.snapshot(message) : old));
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

/** The SDK's `AbstractChat` over {@link ArrayState}: what `useChat` runs, without React. */
class TestChat extends AbstractChat<UIMessage> {
  constructor(id: string, messages: UIMessage[] = []) {
    super({ id, transport: transport(), state: new ArrayState(messages) });
  }
}
