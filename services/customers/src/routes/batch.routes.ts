import { Readable } from 'node:stream';
import { documentedAs, NDJSON, ndjsonChunks, problem, problemResponses, Problems, type App } from '@crm/platform';
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
          'Each item is checked on its own: a bad item gets an error result and never blocks or half-writes the others.',
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
      // NDJSON: read in chunks, write each chunk in its own transaction, stream results back.
      async function* results(stream: Readable): AsyncGenerator<string> {
        const all: Pick<Result, 'status'>[] = [];
        for await (const lines of ndjsonChunks(stream, NDJSON_CHUNK)) {
          const malformed: Result[] = [];
          const items: { index: number; value: unknown }[] = [];
          for (const line of lines) {
            if ('error' in line) {
              malformed.push({ index: line.index, status: 'error', error: { type: Problems.malformedJson.type, title: Problems.malformedJson.title, status: 400, detail: line.error } });
            } else items.push(line);
          }
          for (const result of await upsertChunk(context.write, items, write, malformed)) {
            all.push(result);
            yield `${JSON.stringify(result)}\n`;
          }
        }
        yield `${JSON.stringify({ summary: summarise(all as Result[]) })}\n`;
      }
      if ((request.headers['content-type'] ?? '').split(';')[0]?.trim() !== 'application/x-ndjson') throw problem(Problems.unsupportedMediaType);
      // Streams bypass response serialization; the schema documents the JSON form.
      return reply.type('application/x-ndjson').send(Readable.from(results(body)) as never);
    },
  );
}


