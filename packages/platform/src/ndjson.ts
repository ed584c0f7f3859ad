import type { IncomingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { problem, Problems, type ProblemDocument, type ProblemError, type ProblemType } from './problems';

/**
 * One line of an NDJSON body: its value, or why it is not taken (`problem`: malformed JSON, or a
 * line over the limit). `index` is the line number − 1.
 */
export type NdjsonLine = { index: number; value: unknown } | { index: number; error: string; problem: ProblemType };

/** Settings every service reads its NDJSON limits from (part of the base config). */
export const ndjsonSettingsShape = {
  /** A longer line is answered as an error entry; its bytes are skipped, never held. */
  NDJSON_MAX_LINE_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(64 * 1024),
  /** A stream that goes on past this many bytes is stopped there; what came before stays written. */
  NDJSON_MAX_STREAM_BYTES: z.coerce.number().int().min(1).default(1024 * 1024 * 1024),
  /** The same for the number of lines. */
  NDJSON_MAX_LINES: z.coerce.number().int().min(1).default(10_000_000),
};

export interface NdjsonLimits {
  maxLineBytes: number;
  maxStreamBytes: number;
  maxLines: number;
}

export const ndjsonLimitsOf = (config: { NDJSON_MAX_LINE_BYTES: number; NDJSON_MAX_STREAM_BYTES: number; NDJSON_MAX_LINES: number }): NdjsonLimits => ({
  maxLineBytes: config.NDJSON_MAX_LINE_BYTES,
  maxStreamBytes: config.NDJSON_MAX_STREAM_BYTES,
  maxLines: config.NDJSON_MAX_LINES,
});

/** Where and why a stream was stopped: every line up to `afterLine` was read, nothing after it. */
export interface NdjsonStop {
  afterLine: number;
  limit: 'bytes' | 'lines';
  detail: string;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const EMPTY = Buffer.alloc(0);
/** A chunk also ends once its lines hold this many bytes, so long lines cannot make a chunk of thousands huge. */
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * Reads an NDJSON stream byte by byte against its limits, holding at most one line (≤ maxLineBytes)
 * and one chunk of the source in memory whatever comes in: a longer line is skipped to its newline
 * and reported as an error entry; past the stream's byte or line limit it stops reading (the rest is
 * left unread, the source is not destroyed: an HTTP answer can still finish) and says where in `stopped`.
 * Lines are decoded only once complete, so UTF-8 characters split across chunks arrive whole; `\r\n` ends
 * a line like `\n`. Blank lines are skipped but keep their number.
 */
export class NdjsonReader {
  stopped: NdjsonStop | undefined;
  /** Lines read so far, blank ones included (the number of the last line read). */
  linesRead = 0;
  bytesRead = 0;
  private readonly source: AsyncIterator<unknown>;
  /** The source chunk being split, and how far. */
  private pending: Buffer = EMPTY;
  private offset = 0;
  private line: Buffer = EMPTY;
  private lineLength = 0;
  /** The current line passed the limit: its bytes are dropped until its newline. */
  private lineTooLong = false;
  /** The last source chunk went past the byte limit and was cut there. */
  private overLimit = false;
  private ended = false;
  private readonly ahead: NdjsonLine[] = [];
  /** Bytes of the lines taken into the chunk being filled. */
  private chunkBytes = 0;

  constructor(
    stream: Readable,
    private readonly limits: NdjsonLimits,
    /** Called once when a limit stops the reading. */
    private readonly onStop?: (stop: NdjsonStop) => void,
  ) {
    this.source = stream[Symbol.asyncIterator]();
  }

  /** False when the stream holds no line at all (empty or blank), or was stopped before its first one. */
  async hasLines(): Promise<boolean> {
    while (this.ahead.length === 0 && (await this.fill(this.ahead, 1)));
    return this.ahead.length > 0;
  }

  /**
   * The lines in chunks of `size` (or fewer, when they reach MAX_CHUNK_BYTES), so bulk routes write
   * set-based per chunk with bounded memory.
   */
  async *chunks(size: number): AsyncGenerator<NdjsonLine[]> {
    let chunk = this.ahead.splice(0);
    for (;;) {
      const more = await this.fill(chunk, size);
      if (this.isFull(chunk, size) || (!more && chunk.length > 0)) {
        yield chunk;
        chunk = [];
        this.chunkBytes = 0;
      }
      if (!more) return;
    }
  }

  private isFull(chunk: NdjsonLine[], size: number): boolean {
    return chunk.length >= size || this.chunkBytes >= MAX_CHUNK_BYTES;
  }

  /** Adds lines to `into` until it is full; false once nothing more will come. */
  private async fill(into: NdjsonLine[], size: number): Promise<boolean> {
    while (!this.isFull(into, size)) {
      if (this.stopped) return false;
      if (this.offset < this.pending.length) {
        this.scan(into, size);
        continue;
      }
      if (this.overLimit) {
        this.stop('bytes');
        return false;
      }
      if (this.ended) return false;
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        // A last line without a newline still counts.
        if (this.lineLength > 0 || this.lineTooLong) this.complete(into, this.line, 0, this.lineLength);
        continue;
      }
      let bytes = typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Buffer);
      const room = this.limits.maxStreamBytes - this.bytesRead;
      if (bytes.length > room) {
        bytes = bytes.subarray(0, room);
        this.overLimit = true;
      }
      this.bytesRead += bytes.length;
      this.pending = bytes;
      this.offset = 0;
    }
    return true;
  }

  /** Splits the pending bytes into lines (synchronously: one await per source chunk, not per line). */
  private scan(into: NdjsonLine[], size: number): void {
    const bytes = this.pending;
    let start = this.offset;
    while (start < bytes.length && !this.isFull(into, size) && !this.stopped) {
      const newline = bytes.indexOf(NEWLINE, start);
      if (newline === -1) {
        this.append(bytes, start, bytes.length);
        start = bytes.length;
      } else if (this.lineLength === 0 && !this.lineTooLong) {
        this.complete(into, bytes, start, newline); // the whole line lies in this chunk: no copy
        start = newline + 1;
      } else {
        this.append(bytes, start, newline);
        this.complete(into, this.line, 0, this.lineLength);
        start = newline + 1;
      }
    }
    this.offset = start;
  }

  /** Keeps a line's bytes up to the limit (+1 for a `\r` before the newline); past it, drops them. */
  private append(bytes: Buffer, start: number, end: number): void {
    if (this.lineTooLong || end === start) return;
    const length = this.lineLength + end - start;
    if (length > this.limits.maxLineBytes + 1) {
      this.lineTooLong = true;
      this.lineLength = 0;
      return;
    }
    if (length > this.line.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.limits.maxLineBytes + 1, Math.max(length, this.line.length * 2, 4096)));
      this.line.copy(grown, 0, 0, this.lineLength);
      this.line = grown;
    }
    bytes.copy(this.line, this.lineLength, start, end);
    this.lineLength = length;
  }

  /** Ends the current line, whose bytes are `bytes[start, end)` (straight from the chunk, or the kept ones). */
  private complete(into: NdjsonLine[], bytes: Buffer, start: number, end: number): void {
    const number = ++this.linesRead;
    const tooLong = this.lineTooLong;
    this.lineLength = 0;
    this.lineTooLong = false;
    if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end -= 1;
    const blank = !tooLong && isBlank(bytes, start, end);
    if (number > this.limits.maxLines) {
      // Blank lines past the last one allowed are padding, not content.
      if (!blank) this.stop('lines');
      return;
    }
    if (blank) return;
    const index = number - 1;
    if (tooLong || end - start > this.limits.maxLineBytes) {
      into.push({ index, error: `line ${number} is longer than ${this.limits.maxLineBytes} bytes`, problem: Problems.payloadTooLarge });
      return;
    }
    this.chunkBytes += end - start;
    try {
      into.push({ index, value: JSON.parse(bytes.toString('utf8', start, end)) as unknown });
    } catch {
      // Not the parser's message: it quotes the line, and rejection reasons are kept (no personal data in them).
      into.push({ index, error: `line ${number} is not valid JSON`, problem: Problems.malformedJson });
    }
  }

  private stop(limit: NdjsonStop['limit']): void {
    const afterLine = limit === 'lines' ? this.limits.maxLines : this.linesRead;
    const detail =
      limit === 'bytes'
        ? `stopped after line ${afterLine}: the stream is longer than ${this.limits.maxStreamBytes} bytes; lines up to ${afterLine} were taken, nothing after them was read`
        : `stopped after line ${afterLine}: the stream has more than ${this.limits.maxLines} lines; lines up to ${afterLine} were taken, nothing after them was read`;
    this.stopped = { afterLine, limit, detail };
    this.pending = EMPTY;
    this.offset = 0;
    this.onStop?.(this.stopped);
  }
}

function isBlank(bytes: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at += 1) {
    const byte = bytes[at];
    if (byte !== 0x20 && byte !== 0x09 && byte !== CARRIAGE_RETURN) return false;
  }
  return true;
}

/** Reads `stream` against `limits`; see {@link NdjsonReader}. */
export const readNdjson = (stream: Readable, limits: NdjsonLimits): NdjsonReader => new NdjsonReader(stream, limits);

/** How long a stopped upload's connection may linger after its answer, so the client reads it before the close. */
const LINGER_MS = 1000;

/**
 * Reads a request's NDJSON body against `limits`. A declared length over the limit is refused with 413
 * before anything is read. When a limit stops the reading mid-way, the rest of the upload is never read:
 * once the answer is sent the connection ends (the client stops sending) instead of lingering until
 * the keep-alive timeout with the client blocked on a full socket.
 */
export function readNdjsonRequest(request: FastifyRequest, reply: FastifyReply, limits: NdjsonLimits): NdjsonReader {
  if (exceedsNdjsonLength(request.headers, limits)) {
    // Not keep-alive: Node would otherwise read the whole unwanted body to reuse the connection.
    void reply.header('connection', 'close');
    throw problem(Problems.payloadTooLarge, `the NDJSON stream is ${request.headers['content-length']} bytes; at most ${limits.maxStreamBytes} are taken`);
  }
  return new NdjsonReader(request.body as Readable, limits, () => {
    const { socket } = request.raw;
    if (!(socket instanceof Socket)) return; // injected requests have no connection
    reply.raw.once('finish', () => {
      socket.end();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    });
  });
}

/** True when the declared length already passes the limit. */
export function exceedsNdjsonLength(headers: IncomingHttpHeaders, limits: NdjsonLimits): boolean {
  const declared = Number(headers['content-length']);
  return Number.isFinite(declared) && declared > limits.maxStreamBytes;
}

/**
 * What a route answers before anything is written when the stream has no line: the same validation
 * problem as an empty JSON batch; or 413 when the limit stopped it before its first line.
 */
export function ndjsonWithoutLines(reader: NdjsonReader): ProblemError {
  if (reader.stopped) return problem(Problems.payloadTooLarge, reader.stopped.detail);
  const message = 'must hold at least one line (a batch needs at least one item)';
  return problem(Problems.validation, `body: ${message}`, { errors: [{ field: 'body', message }] });
}

/** The last line of a streamed answer that was stopped at a limit: `{ "error": problem }`. */
export function ndjsonStopLine(stop: NdjsonStop, extra: Record<string, unknown> = {}): string {
  const error: ProblemDocument = problem(Problems.payloadTooLarge, stop.detail, { stoppedAfterLine: stop.afterLine }).toDocument();
  return `${JSON.stringify({ ...extra, error })}\n`;
}
