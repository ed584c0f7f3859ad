import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** One line of an NDJSON body: its value, or why it is not JSON. `index` is the line number − 1. */
export type NdjsonLine = { index: number; value: unknown } | { index: number; error: string };

const MAX_LINE_BYTES = 64 * 1024;

/**
 * Reads an NDJSON stream in chunks of `chunkSize` lines, so bulk routes write set-based per chunk with
 * bounded memory whatever the length. Blank lines are skipped; a line that is not JSON (or too long)
 * comes back as an error entry and never stops the rest.
 */
export async function* ndjsonChunks(stream: Readable, chunkSize: number): AsyncGenerator<NdjsonLine[]> {
  let chunk: NdjsonLine[] = [];
  let index = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    const at = index++;
    if (line.trim() === '') continue;
    if (Buffer.byteLength(line) > MAX_LINE_BYTES) {
      chunk.push({ index: at, error: `line ${at + 1} is longer than ${MAX_LINE_BYTES} bytes` });
    } else {
      try {
        chunk.push({ index: at, value: JSON.parse(line) as unknown });
      } catch {
        // Not the parser's message: it quotes the line, and rejection reasons are kept (no personal data).
        chunk.push({ index: at, error: `line ${at + 1} is not valid JSON` });
      }
    }
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
