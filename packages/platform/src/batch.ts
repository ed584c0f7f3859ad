import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { readNdjsonRequest, ndjsonStopLine, ndjsonWithoutLines, type NdjsonLimits, type NdjsonLine, type NdjsonReader } from './ndjson';
import { NDJSON } from './openapi-conventions';
import { problem, Problems, type ProblemType } from './problems';

/** One item of a batch and its place: the JSON array's index, or the NDJSON line number − 1. */
export interface IndexedValue {
  index: number;
  value: unknown;
}

/** A line of an NDJSON batch that is not an item (malformed JSON, over the line limit). */
export type RefusedLine = Extract<NdjsonLine, { error: string }>;

/**
 * A batch route's body, whichever way it came: `{ "items": [...] }` as JSON (already checked against the
 * route's schema, so its length is bounded) or an NDJSON stream of items, read against `limits`.
 */
export type BatchBody = { kind: 'json'; items: IndexedValue[] } | { kind: 'ndjson'; lines: NdjsonReader };

/**
 * Reads a JSON-or-NDJSON batch. An NDJSON stream without a single line is answered like an empty JSON
 * batch (400), or 413 when a limit stopped it before its first line; anything else than the two media
 * types was refused by the content-type parsers already.
 */
export async function readBatch(request: FastifyRequest, reply: FastifyReply, limits: NdjsonLimits): Promise<BatchBody> {
  const body: unknown = request.body;
  if (!(body instanceof Readable)) return { kind: 'json', items: (body as { items: unknown[] }).items.map((value, index) => ({ index, value })) };
  if ((request.headers['content-type'] ?? '').split(';')[0]?.trim() !== NDJSON) throw problem(Problems.unsupportedMediaType);
  const lines = readNdjsonRequest(request, reply, limits);
  if (!(await lines.hasLines())) throw ndjsonWithoutLines(lines);
  return { kind: 'ndjson', lines };
}

/** Sends an NDJSON answer as it is produced (streams bypass the response schema, which documents the JSON form). */
export function sendNdjson(reply: FastifyReply, lines: AsyncIterable<string>): FastifyReply {
  return reply.type(NDJSON).send(Readable.from(lines));
}

/**
 * The answer to an NDJSON batch whose items each get a result: the stream is taken `chunkSize` lines at
 * a time, each chunk handled by `handle` (one transaction per chunk: a failure never half-writes it)
 * with the lines that are not items, and every result sent as a line as soon as its chunk is done; then
 * `{ "summary": … }`, and, when a limit stopped the stream, `{ "error": problem }` saying where.
 */
export async function* ndjsonBatchAnswer<Result, Summary>(
  lines: NdjsonReader,
  chunkSize: number,
  handle: (items: IndexedValue[], refused: RefusedLine[]) => Promise<Result[]>,
  /** Counts a chunk's results into the running summary (the results themselves are not kept: a stream may be any length). */
  tally: { initial: Summary; add: (summary: Summary, results: Result[]) => Summary },
): AsyncGenerator<string> {
  let summary = tally.initial;
  for await (const chunk of lines.chunks(chunkSize)) {
    const items: IndexedValue[] = [];
    const refused: RefusedLine[] = [];
    for (const line of chunk) {
      if ('error' in line) refused.push(line);
      else items.push(line);
    }
    const results = await handle(items, refused);
    summary = tally.add(summary, results);
    yield results.map((result) => `${JSON.stringify(result)}\n`).join('');
  }
  yield `${JSON.stringify({ summary })}\n`;
  if (lines.stopped) yield ndjsonStopLine(lines.stopped);
}

/**
 * Why one item of a batch was not applied: the problem it would have been answered with on its own
 * (RFC 9457 fields, `detail` saying what was wrong with this item). Shared by every batch answer.
 */
export const BatchItemError = z
  .object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string() })
  .meta({ id: 'BatchItemError' });
export type BatchItemError = z.infer<typeof BatchItemError>;

/** A batch item's error from a problem type and what went wrong with the item. */
export function batchItemError(type: ProblemType, detail: string): BatchItemError {
  return { type: type.type, title: type.title, status: type.status, detail };
}

/** The error of an NDJSON line that is not an item (malformed JSON, over the line limit). */
export const refusedLineError = (line: RefusedLine): BatchItemError => batchItemError(line.problem, line.error);

/**
 * An item's validation issues as one `detail`: `path: message` joined by "; ", the item itself named
 * `root` (e.g. "(item)"). `message` words an issue (e.g. valueFreeMessage where the reason is stored).
 */
export function issuesDetail(
  issues: readonly z.core.$ZodIssue[],
  root: string,
  message: (issue: z.core.$ZodIssue) => string = (issue) => issue.message,
): string {
  return issues.map((issue) => `${issue.path.join('.') || root}: ${message(issue)}`).join('; ');
}
