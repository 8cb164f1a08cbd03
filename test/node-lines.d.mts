/** Types for test/node-lines.mjs, which stays plain JavaScript so Node 20 runs it as a script. */
export declare const NODE_LINES: Record<number, string>;
export declare function nodeBinaryPath(line: number): string;
export interface NodeLine {
  line: number;
  binary?: string;
  missing?: string;
}
export declare function nodeLines(): NodeLine[];
export declare function reportMissing(missing: string): boolean;
