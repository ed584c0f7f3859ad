import { Readable } from 'node:stream';
import { SafeDateTime, toStorableText } from '@crm/domain';
import { dealerScope, decodeCursor, documentedAs, NDJSON, ndjsonLimitsOf, ndjsonStopLine, ndjsonWithoutLines, PageQuery, pageOf, paginate, problem, problemResponses, Problems, readNdjsonRequest, sendsHeaders, type App, type NdjsonReader } from '@crm/platform';
import { sql } from 'kysely';
import { z } from 'zod';
import { finalSurvivorOf } from '../db/customer-alias.repository';
import type { ScoringDb } from '../db/scoring.repository';
import { access } from '../access';
import { assignedToDealer } from '../domain/access';
import { checkChunk, IngestSummary, ingestChunk, RowResult, summarise, TransactionInput, writeChunk, type ChunkOutcome, type IngestContext } from '../domain/transaction-ingest.service';
import { transactionView } from '../domain/transaction.view';
import type { ScoringRouteContext } from './route-context';

const MAX_JSON_BATCH = 10_000;
const NDJSON_CHUNK = 5_000;
/** Chunks written at once by their own connections, while the next one is parsed and checked. */
const WRITES_IN_FLIGHT = 2;
/** Rejected lines an ingest job keeps (with line numbers and reasons); the counters count them all. */
const MAX_REJECTED_KEPT = 10_000;
const tags = ['transactions'];

const IngestJob = z
  .object({
    id: z.uuid(),
    status: z.enum(['running', 'succeeded', 'failed', 'interrupted']).describe('interrupted: its process stopped mid-stream; the counters show what was committed'),
    received: z.number().int(),
    inserted: z.number().int(),
    duplicates: z.number().int(),
    pending: z.number().int(),
    rejected: z.number().int(),
    rejectedLines: z.array(z.object({ line: z.number().int(), reason: z.string() })),
    error: z.string().nullable(),
    lastLine: z.number().int().describe('the last line number read so far; a job stopped at a limit read nothing after it'),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'IngestJob' });

const Transaction = z
  .object({
    id: z.uuid(),
    sourceSystem: z.string(),
    externalId: z.string(),
    namespace: z.string().describe('where (sourceSystem, externalId) is unique: `shared` (staff, integrations) or `dealer:<dealerId>` (ADR 0008)'),
    customerId: z.uuid().nullable(),
    occurredAt: z.string(),
    type: z.enum(['sale', 'return']),
    amount: z.object({ amount: z.string(), currency: z.string() }),
    amountBase: z.string(),
    quantity: z.string(),
    product: z.string().nullable(),
    category: z.string().nullable(),
    channel: z.string().nullable(),
    dealerId: z.uuid().nullable(),
  })
  .meta({ id: 'Transaction' });

export function transactionRoutes(app: App, context: ScoringRouteContext): void {
  const ingestContext = (principal: IngestContext['principal']): IngestContext => ({
    principal,
    runtime: context.runtime,
    baseCurrency: context.config.SCORING_BASE_CURRENCY,
    clockSkewMs: context.config.SCORING_CLOCK_SKEW_SECONDS * 1000,
    // Every chunk's commit queued its customers for rescoring: the worker takes them after the response.
    write: async (work) => {
      const result = await context.write(work);
      context.rescoreWorker.wake();
      return result;
    },
  });
  const ndjsonLimits = ndjsonLimitsOf(context.config);

  app.post(
    '/v1/transactions/batch',
    { config: { access: access.ingest },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        operationId: 'ingestTransactions',
        tags,
        summary: `Ingest up to ${MAX_JSON_BATCH} transactions (JSON), or any number as an NDJSON stream`,
        description:
          'JSON: `{ "items": [TransactionInput…] }` → a result per row (inserted, pending — customer not known yet —, duplicate, rejected with the reason). ' +
          '`Content-Type: application/x-ndjson`: one TransactionInput per line → an NDJSON answer: `{ jobId }` at once, `{ progress }` ' +
          'after every chunk of 5,000 lines, `{ jobId, summary }` last; the ingest job (`GET /v1/ingest-jobs/{id}`, also in `Location`) ' +
          'shows the same progress and keeps the rejected lines with their numbers and reasons. A stream past its limits (bytes, lines) is ' +
          'stopped there: the chunks before stay written, the answer ends with `{ jobId, error: problem }` (413) and the job with `lastLine`.',
        consumes: ['application/json', NDJSON],
        ...sendsHeaders({ 200: ['Location'] }),
        body: z.object({ items: z.array(documentedAs(TransactionInput.meta({ id: 'NewTransaction' }))).min(1).max(MAX_JSON_BATCH) }),
        response: {
          200: z.object({ results: z.array(RowResult), summary: IngestSummary }),
          ...problemResponses(400, 401, 403, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const ingest = ingestContext(request.principal);
      const body: unknown = request.body;
      if (!(body instanceof Readable)) {
        const { results } = await ingestChunk((body as { items: unknown[] }).items.map((value, index) => ({ index, value })), ingest);
        return { results, summary: summarise(results) };
      }
      if ((request.headers['content-type'] ?? '').split(';')[0]?.trim() !== 'application/x-ndjson') throw problem(Problems.unsupportedMediaType);
      const reader = readNdjsonRequest(request, reply, ndjsonLimits);
      if (!(await reader.hasLines())) throw ndjsonWithoutLines(reader);
      const jobId = context.runtime.newId();
      await context.db
        .insertInto('ingest_job')
        .values({ id: jobId, status: 'running', principal_subject: request.principal.subject, dealer_id: dealerScope(request.principal) ?? null, rejected_lines: '[]', created_at: context.runtime.now().toISOString() })
        .execute();
      // The answer streams as NDJSON: the job id at once, progress after every chunk, the summary last.
      // Headers and bytes flow while a long ingest runs, so no proxy timeout cuts it off.
      const lines = async function* (input: NdjsonReader): AsyncGenerator<string> {
        const total = { received: 0, inserted: 0, duplicates: 0, pending: 0, rejected: 0 };
        let kept = 0;
        yield `${JSON.stringify({ jobId })}\n`;
        request.log.info({ jobId }, 'ingest started');
        let chunksDone = 0;
        // Alive while the stream is read; a job whose heartbeat stops (its process died) is marked interrupted.
        const stopBeating = context.heartbeats.track('ingest_job', jobId);
        // The job's counters commit with each chunk: after a crash they say exactly what was written.
        const jobIngest: IngestContext = {
          ...ingest,
          recordChunk: async (trx, results) => {
            const rejectedLines = rejectedLinesOf(results).slice(0, Math.max(0, MAX_REJECTED_KEPT - kept));
            kept += rejectedLines.length;
            await progress(trx, jobId, summarise(results), rejectedLines, results.reduce((last, r) => Math.max(last, r.index + 1), 0));
          },
        };
        try {
          // Pipelined: the next chunk is parsed and checked (CPU) while earlier ones are written (database),
          // answered in order.
          const writing: Promise<ChunkOutcome>[] = [];
          const finish = async function* (done: Promise<ChunkOutcome>) {
            const summary = summarise((await done).results);
            for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += summary[key];
            // Every 100,000 lines or so a long ingest says how far it got.
            if (++chunksDone % 20 === 0) request.log.info({ jobId, progress: total }, 'ingest progress');
            yield `${JSON.stringify({ progress: total })}\n`;
          };
          for await (const chunk of input.chunks(NDJSON_CHUNK)) {
            const checked = checkChunk(chunk.filter((line): line is { index: number; value: unknown } => 'value' in line), jobIngest);
            checked.refused.push(...chunk.flatMap((line) => ('error' in line ? [{ index: line.index, status: 'rejected' as const, reason: line.error }] : [])));
            const oldest = writing.length >= WRITES_IN_FLIGHT ? writing.shift() : undefined;
            if (oldest) yield* finish(oldest);
            const write = writeChunk(checked, jobIngest);
            // Handled where it is awaited, chunks later; this keeps a failure meanwhile from counting as unhandled.
            write.catch(() => undefined);
            writing.push(write);
          }
          for (let next = writing.shift(); next; next = writing.shift()) yield* finish(next);
          // Stopped at a limit: the chunks before stay committed; the job says after which line it stopped.
          const { stopped } = input;
          await context.db
            .updateTable('ingest_job')
            .set({ status: stopped ? 'failed' : 'succeeded', error: stopped?.detail ?? null, last_line: stopped?.afterLine ?? input.linesRead, finished_at: context.runtime.now().toISOString() })
            .where('id', '=', jobId)
            .execute();
          request.log.info({ jobId, summary: total, stoppedAfterLine: stopped?.afterLine }, stopped ? 'ingest stopped at a limit' : 'ingest finished');
          yield `${JSON.stringify({ jobId, summary: total })}\n`;
          if (stopped) yield ndjsonStopLine(stopped, { jobId });
        } catch (error) {
          const message = String(error instanceof Error ? error.message : error);
          await context.db.updateTable('ingest_job').set({ status: 'failed', error: message, finished_at: context.runtime.now().toISOString() }).where('id', '=', jobId).execute();
          request.log.error({ err: error, jobId }, 'ingest failed');
          yield `${JSON.stringify({ jobId, error: 'the ingest failed; see the job for what was written' })}\n`;
        } finally {
          stopBeating();
        }
      };
      // Streams bypass response serialization; the schema documents the JSON form.
      return reply.header('location', `/v1/ingest-jobs/${jobId}`).type('application/x-ndjson').send(Readable.from(lines(reader)) as never);
    },
  );

  app.get(
    '/v1/ingest-jobs/:id',
    { config: { access: access.read }, schema: { operationId: 'getIngestJob', tags, summary: 'An NDJSON ingest: progress, counts and rejected lines', params: z.object({ id: z.uuid() }), response: { 200: IngestJob, ...problemResponses(400, 401, 403, 404) } } },
    async (request) => {
      const job = await context.db.selectFrom('ingest_job').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      const scope = dealerScope(request.principal);
      if (!job || (scope && job.dealer_id !== scope)) throw problem(Problems.notFound, `ingest job ${request.params.id} does not exist`);
      return {
        id: job.id,
        status: job.status,
        received: job.received,
        inserted: job.inserted,
        duplicates: job.duplicates,
        pending: job.pending,
        rejected: job.rejected,
        // Chunks are written side by side and commit in any order: their rejected lines are shown in line order.
        rejectedLines: (job.rejected_lines as { line: number; reason: string }[]).sort((a, b) => a.line - b.line),
        error: job.error,
        lastLine: job.last_line,
        createdAt: new Date(job.created_at).toISOString(),
        finishedAt: job.finished_at ? new Date(job.finished_at).toISOString() : null,
      };
    },
  );

  app.get(
    '/v1/transactions',
    { config: { access: access.read },
      schema: {
        operationId: 'listTransactions',
        tags,
        summary: 'Transactions, newest first; a dealer sees only those of its customers',
        querystring: PageQuery.extend({ customerId: z.uuid().optional(), dealerId: z.uuid().optional() }),
        response: { 200: pageOf(Transaction), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const after = decodeCursor(request.query.cursor, z.object({ at: SafeDateTime, id: z.uuid() }));
      const scope = dealerScope(request.principal);
      let query = context.db.selectFrom('transaction').selectAll();
      // A dealer sees the rows of its customers (by their current assignment); someone else's customerId is an empty page.
      if (scope) query = query.where(assignedToDealer('customer_id', scope));
      if (request.query.dealerId) query = query.where('dealer_id', '=', request.query.dealerId);
      // A merged-away id lists its survivor's transactions (they moved there with the merge).
      if (request.query.customerId) query = query.where('customer_id', '=', await finalSurvivorOf(context.db, request.query.customerId));
      if (after) query = query.where(sql<boolean>`(occurred_at, id) < (${after.at}::timestamptz, ${after.id}::uuid)`);
      const rows = await query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(request.query.limit + 1).execute();
      return paginate(
        rows,
        request.query.limit,
        transactionView,
        (t) => ({ at: new Date(t.occurred_at).toISOString(), id: t.id }),
      );
    },
  );
}

function rejectedLinesOf(results: RowResult[]): { line: number; reason: string }[] {
  return results
    .filter((r) => r.status === 'rejected')
    .sort((a, b) => a.index - b.index)
    .map((r) => ({ line: r.index + 1, reason: toStorableText(r.reason ?? '') }));
}

async function progress(db: ScoringDb, jobId: string, summary: z.infer<typeof IngestSummary>, rejectedLines: { line: number; reason: string }[], lastLine: number) {
  await db
    .updateTable('ingest_job')
    .set((eb) => ({
      received: eb('received', '+', summary.received),
      inserted: eb('inserted', '+', summary.inserted),
      duplicates: eb('duplicates', '+', summary.duplicates),
      pending: eb('pending', '+', summary.pending),
      rejected: eb('rejected', '+', summary.rejected),
      rejected_lines: sql`rejected_lines || ${JSON.stringify(rejectedLines)}::jsonb`,
      last_line: sql`greatest(last_line, ${lastLine}::integer)`,
    }))
    .where('id', '=', jobId)
    .execute();
}
