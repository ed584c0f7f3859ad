import { Readable } from 'node:stream';
import { exceedsNdjsonLength, ndjsonWithoutLines, readNdjson, type NdjsonLimits, type NdjsonLine, type NdjsonReader } from '../src';

const MiB = 1024 * 1024;
const limits = (overrides: Partial<NdjsonLimits> = {}): NdjsonLimits => ({ maxLineBytes: 64 * 1024, maxStreamBytes: 1024 * MiB, maxLines: 10_000_000, ...overrides });

/** A stream of the given chunks, as a socket would deliver them (Buffers, cut anywhere). */
const streamOf = (...chunks: (string | Buffer)[]) => Readable.from(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));

async function readAll(reader: NdjsonReader, chunkSize = 1000): Promise<{ lines: NdjsonLine[]; chunks: number[] }> {
  const lines: NdjsonLine[] = [];
  const chunks: number[] = [];
  for await (const chunk of reader.chunks(chunkSize)) {
    chunks.push(chunk.length);
    lines.push(...chunk);
  }
  return { lines, chunks };
}

describe('NDJSON reader', () => {
  it('reads lines in chunks, skips blank lines but keeps their numbers, reports lines that are not JSON', async () => {
    const reader = readNdjson(streamOf('{"a":1}\n\n{"a":2}\n{nope\n   \n{"a":3}'), limits());
    const { lines, chunks } = await readAll(reader, 2);
    expect(lines).toEqual([
      { index: 0, value: { a: 1 } },
      { index: 2, value: { a: 2 } },
      { index: 3, error: expect.stringMatching(/^line 4 is not valid JSON/), problem: expect.objectContaining({ type: 'urn:crm:problem:malformed-json' }) },
      { index: 5, value: { a: 3 } },
    ]);
    expect(chunks).toEqual([2, 2]);
    expect(reader.stopped).toBeUndefined();
    expect(reader.linesRead).toBe(6);
  });

  it('ends lines at \\r\\n as at \\n, also when the \\r and the \\n arrive in different chunks', async () => {
    const { lines } = await readAll(readNdjson(streamOf('{"a":"x"}\r\n{"a":"y"}\r', '\n{"a":"z"}\r\n'), limits()));
    expect(lines).toEqual([
      { index: 0, value: { a: 'x' } },
      { index: 1, value: { a: 'y' } },
      { index: 2, value: { a: 'z' } },
    ]);
  });

  it('decodes multi-byte characters split across chunk boundaries', async () => {
    const text = JSON.stringify({ name: '李伟 😀 Ünïcødé' });
    const bytes = Buffer.from(`${text}\n${text}\n`);
    // Every cut point, so the split falls inside each 2-, 3- and 4-byte sequence at least once.
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const { lines } = await readAll(readNdjson(streamOf(bytes.subarray(0, cut), bytes.subarray(cut)), limits()));
      expect(lines).toEqual([
        { index: 0, value: { name: '李伟 😀 Ünïcødé' } },
        { index: 1, value: { name: '李伟 😀 Ünïcødé' } },
      ]);
    }
    // One byte per chunk.
    const { lines } = await readAll(readNdjson(Readable.from([...bytes].map((byte) => Buffer.from([byte]))), limits()));
    expect(lines).toHaveLength(2);
  });

  it('reports a line over the limit as an error entry and goes on with the next line', async () => {
    const long = `{"a":"${'x'.repeat(2000)}"}`;
    const exact = `{"a":"${'y'.repeat(1024 - 8)}"}`;
    expect(Buffer.byteLength(exact)).toBe(1024);
    const { lines } = await readAll(readNdjson(streamOf(`{"a":1}\n${long.slice(0, 700)}`, long.slice(700), `\n${exact}\r\n{"a":2}\n`), limits({ maxLineBytes: 1024 })));
    expect(lines).toEqual([
      { index: 0, value: { a: 1 } },
      { index: 1, error: 'line 2 is longer than 1024 bytes', problem: expect.objectContaining({ type: 'urn:crm:problem:payload-too-large', status: 413 }) },
      { index: 2, value: { a: 'y'.repeat(1024 - 8) } },
      { index: 3, value: { a: 2 } },
    ]);
  });

  it('ends a chunk early once its lines hold 16 MiB, whatever the chunk size asked', async () => {
    const line = `${JSON.stringify({ a: 'x'.repeat(60_000) })}\n`;
    const perChunk = Math.ceil((16 * MiB) / (line.length - 1));
    const { lines, chunks } = await readAll(readNdjson(Readable.from(Array.from({ length: 600 }, () => Buffer.from(line))), limits()), 5_000);
    expect(lines).toHaveLength(600);
    expect(chunks).toEqual([perChunk, perChunk, 600 - 2 * perChunk]);
  });

  it('never holds a 200 MiB line: memory stays flat while it is skipped', async () => {
    const block = Buffer.alloc(64 * 1024, 'a');
    let produced = 0;
    // One reused block: whatever memory grows is what the reader keeps.
    async function* source() {
      yield Buffer.from('{"first":true}\n{"huge":"');
      for (let i = 0; i < 3200; i += 1) {
        produced += block.length;
        yield block;
      }
      yield Buffer.from('"}\n{"last":true}\n');
    }
    const before = process.memoryUsage();
    let peakHeap = 0;
    let peakBuffers = 0;
    const lines: NdjsonLine[] = [];
    const reader = readNdjson(Readable.from(source()), limits());
    for await (const chunk of reader.chunks(1)) {
      lines.push(...chunk);
      const now = process.memoryUsage();
      peakHeap = Math.max(peakHeap, now.heapUsed - before.heapUsed);
      peakBuffers = Math.max(peakBuffers, now.arrayBuffers - before.arrayBuffers);
    }
    const after = process.memoryUsage();
    expect(produced).toBe(200 * MiB);
    expect(lines).toEqual([
      { index: 0, value: { first: true } },
      { index: 1, error: 'line 2 is longer than 65536 bytes', problem: expect.objectContaining({ status: 413 }) },
      { index: 2, value: { last: true } },
    ]);
    expect(Math.max(peakHeap, after.heapUsed - before.heapUsed)).toBeLessThan(20 * MiB);
    expect(Math.max(peakBuffers, after.arrayBuffers - before.arrayBuffers)).toBeLessThan(8 * MiB);
  });

  it('stops past the byte limit without reading the rest: earlier lines taken, the cut line dropped', async () => {
    let pulled = 0;
    async function* endless() {
      for (let i = 0; ; i += 1) {
        const line = Buffer.from(`{"n":${i}}\n`);
        pulled += line.length;
        yield line;
      }
    }
    const line = (i: number) => `{"n":${i}}\n`.length;
    const reader = readNdjson(Readable.from(endless()), limits({ maxStreamBytes: 100 }));
    const { lines } = await readAll(reader, 4);
    let fits = 0;
    for (let total = 0; total + line(fits) <= 100; fits += 1) total += line(fits);
    expect(lines.map((l) => ('value' in l ? l.value : l.error))).toEqual(Array.from({ length: fits }, (_, n) => ({ n })));
    expect(reader.stopped).toEqual({ afterLine: fits, limit: 'bytes', detail: expect.stringMatching(new RegExp(`^stopped after line ${fits}: the stream is longer than 100 bytes`)) });
    expect(reader.bytesRead).toBe(100);
    // Not consumed: the source was pulled only as far as the stream's own read-ahead.
    expect(pulled).toBeLessThan(100 + 16 * 16);
  });

  it('takes a stream of exactly the byte limit whole', async () => {
    const body = '{"a":1}\n{"a":2}';
    const reader = readNdjson(streamOf(body), limits({ maxStreamBytes: Buffer.byteLength(body) }));
    expect((await readAll(reader)).lines).toHaveLength(2);
    expect(reader.stopped).toBeUndefined();
  });

  it('stops after the line limit; trailing newlines and blank padding are not more lines', async () => {
    const reader = readNdjson(streamOf('{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n'), limits({ maxLines: 2 }));
    const { lines } = await readAll(reader);
    expect(lines.map((l) => l.index)).toEqual([0, 1]);
    expect(reader.stopped).toEqual({ afterLine: 2, limit: 'lines', detail: expect.stringMatching(/^stopped after line 2: the stream has more than 2 lines/) });

    const exact = readNdjson(streamOf('{"a":1}\n{"a":2}\n\n\n'), limits({ maxLines: 2 }));
    expect((await readAll(exact)).lines).toHaveLength(2);
    expect(exact.stopped).toBeUndefined();
  });

  it('tells an empty stream from one stopped before its first line', async () => {
    for (const body of ['', '\n', ' \r\n\n']) {
      const reader = readNdjson(streamOf(body), limits());
      expect(await reader.hasLines()).toBe(false);
      expect(ndjsonWithoutLines(reader).toDocument()).toEqual(expect.objectContaining({ type: 'urn:crm:problem:validation', status: 400, errors: [{ field: 'body', message: expect.any(String) }] }));
    }
    const stopped = readNdjson(streamOf('{"a":"0123456789"}\n'), limits({ maxStreamBytes: 10 }));
    expect(await stopped.hasLines()).toBe(false);
    expect(ndjsonWithoutLines(stopped).toDocument()).toEqual(expect.objectContaining({ type: 'urn:crm:problem:payload-too-large', status: 413 }));

    const some = readNdjson(streamOf('\n{"a":1}\n{"a":2}'), limits());
    expect(await some.hasLines()).toBe(true);
    expect((await readAll(some)).lines.map((l) => l.index)).toEqual([1, 2]);
  });

  it('refuses a declared Content-Length over the limit', () => {
    expect(exceedsNdjsonLength({ 'content-length': '101' }, limits({ maxStreamBytes: 100 }))).toBe(true);
    expect(exceedsNdjsonLength({ 'content-length': '100' }, limits({ maxStreamBytes: 100 }))).toBe(false);
    expect(exceedsNdjsonLength({ 'transfer-encoding': 'chunked' }, limits({ maxStreamBytes: 100 }))).toBe(false);
  });

  it('keeps NUL and lone surrogates of a malformed line out of its error (it may be stored)', async () => {
    const { lines } = await readAll(readNdjson(streamOf('\u0000\ud800x\n'), limits()));
    expect(lines).toHaveLength(1);
    expect('error' in lines[0]! && lines[0].error.includes('\u0000')).toBe(false);
  });
});
