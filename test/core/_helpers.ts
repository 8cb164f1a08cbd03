/** Reads a response body chunk by chunk as text, the way a client would. */
export function chunkReader(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  return {
    /** The next chunk as text, or undefined when the stream is done. */
    async next(): Promise<string | undefined> {
      const { done, value } = await reader.read();
      return done ? undefined : decoder.decode(value);
    },
    /** Every remaining chunk. */
    async rest(): Promise<string[]> {
      const chunks: string[] = [];
      for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) {
        chunks.push(chunk);
      }
      return chunks;
    },
    cancel: (reason?: unknown) => reader.cancel(reason),
  };
}

/** Lets pending promises and zero-delay timers run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A promise that never settles, like a stuck upstream. */
export const forever = () => new Promise<never>(() => {});
