/**
 * Compression and secrets (BREACH): with one compression context per event
 * stream, text injected later compresses against a secret sent earlier, so
 * its size tells whether it repeats the secret. `eventStreams: 'reset'`
 * compresses every event on its own, and the sizes tell nothing.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { nodeCompressor } from '../../adapters/runtimes/node-compress.ts';
import { SSEOptionError, sseResponse } from '../../src/index.ts';
import { compose, compress } from '../../src/middleware/index.ts';

// All sixteen hex digits once each, and a wrong guess made of the same
// digits: alone, the two compress to exactly the same size.
const SECRET = '7c1e9b04d2a86f35';
const WRONG = [...SECRET].reverse().join('');

/** The whole compressed stream: the secret's event, then the attacker's guess. */
async function streamBytes(eventStreams: true | 'reset', guess: string, accept = 'gzip') {
  const app = compose(compress({ compressor: nodeCompressor(), eventStreams }))(() =>
    sseResponse([`token=${SECRET}`, `token=${guess}`], { heartbeat: false }),
  );
  const response = await app(new Request('http://x/', { headers: { 'accept-encoding': accept } }));
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('compress({ eventStreams }) and a secret earlier in the stream', () => {
  test('true (one context): a guess that matches the secret compresses smaller', async () => {
    const right = await streamBytes(true, SECRET);
    const wrong = await streamBytes(true, WRONG);
    expect(gunzipSync(right.bytes).toString()).toContain(`data: token=${SECRET}\n\n`);
    expect(right.bytes.length).toBeLessThan(wrong.bytes.length - 5);
  });

  test.each(['gzip', 'deflate'])(
    "'reset' (%s): each event compresses on its own, a right and a wrong guess cost the same",
    async (encoding) => {
      const right = await streamBytes('reset', SECRET, encoding);
      const wrong = await streamBytes('reset', WRONG, encoding);
      expect(right.response.headers.get('content-encoding')).toBe(encoding);
      expect(right.bytes.length).toBe(wrong.bytes.length);
      const text = (encoding === 'gzip' ? gunzipSync : inflateSync)(right.bytes).toString();
      expect(text).toBe(`:\n\ndata: token=${SECRET}\n\ndata: token=${SECRET}\n\n`);
    },
  );

  test("'reset' never picks brotli, which cannot forget: gzip instead", async () => {
    const { response } = await streamBytes('reset', SECRET, 'br, gzip;q=0.5');
    expect(response.headers.get('content-encoding')).toBe('gzip');
  });

  test("'reset' needs an encoding the compressor can reset; bad values are SSEOptionErrors", () => {
    const compressor = nodeCompressor({ encodings: ['br'] });
    expect(() => compress({ compressor, eventStreams: 'reset' })).toThrow(SSEOptionError);
    expect(() => compress({ compressor, eventStreams: 'reset' })).toThrow(/gzip or deflate/);
    expect(() => compress({ compressor, eventStreams: 'yes' as any })).toThrow(
      /eventStreams: expected false, true or 'reset'/,
    );
  });
});

describe('nodeCompressor memory options', () => {
  test('bad numbers are SSEOptionErrors that name the option and its range', () => {
    expect(() => nodeCompressor({ events: { windowBits: 16 } })).toThrow(
      /events\.windowBits: expected a whole number from 9 to 15, got 16\. Leave it out/,
    );
    expect(() => nodeCompressor({ events: { memLevel: 0 } })).toThrow(SSEOptionError);
    expect(() => nodeCompressor({ events: { brotliWindow: 30 } })).toThrow(/brotliWindow/);
    expect(() => nodeCompressor({ events: { brotliQuality: 1.5 } })).toThrow(/brotliQuality/);
    expect(() => nodeCompressor({ level: 10 })).toThrow(/level/);
  });

  test('a value of the wrong type is an SSEOptionError that shows it as it is', () => {
    // A string (from an environment variable, say) is named as one, so '6' does not read as 6 refused.
    expect(() => nodeCompressor({ level: '6' as any })).toThrow(/level: expected .*, got string\./);
    // An object without a prototype cannot be turned into text: still the typed error.
    expect(() => nodeCompressor({ level: Object.create(null) })).toThrow(SSEOptionError);
    expect(() => nodeCompressor({ level: Object.create(null) })).toThrow(/got object\./);
  });

  test('a smaller window still decodes, and streams compress as before', async () => {
    const compressor = nodeCompressor({ events: { windowBits: 9, memLevel: 1 } });
    const app = compose(compress({ compressor, eventStreams: true }))(() =>
      sseResponse(
        Array.from({ length: 50 }, (_, n) => ({ data: { n, text: 'hello '.repeat(n % 7) } })),
        { heartbeat: false },
      ),
    );
    const response = await app(
      new Request('http://x/', { headers: { 'accept-encoding': 'gzip' } }),
    );
    const text = gunzipSync(Buffer.from(await response.arrayBuffer())).toString();
    expect(text.match(/^data: /gm)).toHaveLength(50);
  });
});
