import { Readable } from 'node:stream';
import { documentedAs, NDJSON, ndjsonStopLine, ndjsonWithoutLines, problem, problemResponses, Problems, readNdjsonRequest, type App, type NdjsonReader } from '@crm/platform';
import { z } from 'zod';
import { authorize } from '../domain/access';
import { BatchItem, BatchItemResult, MAX_JSON_BATCH, summarise, upsertChunk, type BatchItemResult as Result } from '../domain/customer-batch.service';
import { writeContext, type RouteContext } from './route-context';

const NDJSON_CHUNK = 1000;
const Summary = z.object({ received: z.number(), created: z.number(), updated: z.number(), unchanged: z.number(), errors: z.number() });

export function batchRoutes(app: App, context: RouteContext): void {
  app.post(
    '/v1/customers/batch',
    {
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        operationId: 'upsertCustomersBatch',
        tags: ['customers'],
        summary: `Upsert up to ${MAX_JSON_BATCH} customers (JSON), or any number as an NDJSON stream`,
        description:
          'JSON: `{ "items": [CustomerBatchItem…] }` → per-item results. `Content-Type: application/x-ndjson`: one ' +
          'CustomerBatchItem per line → an NDJSON stream of per-line results (`index` = line number − 1), then `{ "summary": … }`. ' +
          'Each item is checked on its own: a bad item gets an error result and never blocks or half-writes the others. ' +
          'A stream past its limits (bytes, lines) is stopped there: the lines before stay written and the answer ends with `{ "error": problem }` (413).',
        consumes: ['application/json', NDJSON],
        body: z.object({ items: z.array(documentedAs(BatchItem)).min(1).max(MAX_JSON_BATCH) }),
        response: { 200: z.object({ results: z.array(BatchItemResult), summary: Summary }), ...problemResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'write');
      const write = writeContext(context, request.principal);
      const body: unknown = request.body;
      if (!(body instanceof Readable)) {
        const items = (body as { items: unknown[] }).items.map((value, index) => ({ index, value }));
        const results = await upsertChunk(context.write, items, write);
        return { results, summary: summarise(results) };
      }
      if ((request.headers['content-type'] ?? '').split(';')[0]?.trim() !== 'application/x-ndjson') throw problem(Problems.unsupportedMediaType);
      const reader = readNdjsonRequest(request, reply, context.ndjson);
      if (!(await reader.hasLines())) throw ndjsonWithoutLines(reader);
      // NDJSON: read in chunks, write each chunk in its own transaction, stream results back.
      async function* results(lines: NdjsonReader): AsyncGenerator<string> {
        const all: Pick<Result, 'status'>[] = [];
        for await (const chunk of lines.chunks(NDJSON_CHUNK)) {
          const malformed: Result[] = [];
          const items: { index: number; value: unknown }[] = [];
          for (const line of chunk) {
            if ('error' in line) {
              malformed.push({ index: line.index, status: 'error', error: { type: line.problem.type, title: line.problem.title, status: line.problem.status, detail: line.error } });
            } else items.push(line);
          }
          for (const result of await upsertChunk(context.write, items, write, malformed)) {
            all.push(result);
            yield `${JSON.stringify(result)}\n`;
          }
        }
        yield `${JSON.stringify({ summary: summarise(all as Result[]) })}\n`;
        // Past a limit: what came before stays written; the last line says where it stopped.
        if (lines.stopped) yield ndjsonStopLine(lines.stopped);
      }
      // Streams bypass response serialization; the schema documents the JSON form.
      return reply.type('application/x-ndjson').send(Readable.from(results(reader)) as never);
    },
  );
}


