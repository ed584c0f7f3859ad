import { SafeDateTime, toStorableText, type Principal } from '@crm/domain';
import { dealerScope, decodeCursor, ndjsonStopLine, paginate, problem, Problems, type IndexedValue, type Logger, type NdjsonReader, type Runtime } from '@crm/platform';
import { z } from 'zod';
import { customerAliasRepository } from '../customer-projection/customer-alias.repository';
import type { ScoringDb } from '../db/tables';
import type { JobHeartbeats } from '../runs/job-heartbeats.service';
import { ingestJobRepository } from './ingest-job.repository';
import { checkChunk, ingestChunk, summarise, writeChunk, type ChunkOutcome, type IngestContext } from './transaction-ingest.service';
import { transactionView } from './transaction.view';
import type { IngestJob, IngestTransactionsAnswer, RejectedLine, RowResult, Transaction, TransactionListQuery } from './transactions.schemas';
import { transactionsRepository } from './transactions.repository';

/** Lines an NDJSON ingest checks and writes at a time (one transaction each). */
const NDJSON_CHUNK = 5_000;
/** Chunks written at once by their own connections, while the next one is parsed and checked. */
const WRITES_IN_FLIGHT = 2;
/** Rejected lines an ingest job keeps (with line numbers and reasons); the counters count them all. */
const MAX_REJECTED_KEPT = 10_000;

const ListCursor = z.object({ at: SafeDateTime, id: z.uuid() });

export interface TransactionService {
  /** A JSON batch: every item checked and written at once, a result per item. */
  ingestItems(principal: Principal, items: IndexedValue[]): Promise<IngestTransactionsAnswer>;
  /**
   * An NDJSON stream: the ingest job is created before this resolves; `answer` then reads, checks and
   * writes the stream chunk by chunk as it is consumed, yielding the NDJSON answer's lines.
   */
  ingestStream(principal: Principal, lines: NdjsonReader, log: Logger): Promise<{ jobId: string; answer: AsyncGenerator<string> }>;
  getIngestJob(principal: Principal, id: string): Promise<IngestJob>;
  list(principal: Principal, query: TransactionListQuery): Promise<{ items: Transaction[]; nextCursor: string | null }>;
}

function rejectedLinesOf(results: RowResult[]): RejectedLine[] {
  return results
    .filter((r) => r.status === 'rejected')
    .sort((a, b) => a.index - b.index)
    .map((r) => ({ line: r.index + 1, reason: toStorableText(r.reason ?? '') }));
}

export function createTransactionService(deps: {
  db: ScoringDb;
  runtime: Runtime;
  /** Runs `work` in one transaction, then wakes the outbox relay. */
  write: <T>(work: (trx: ScoringDb) => Promise<T>) => Promise<T>;
  heartbeats: JobHeartbeats;
  /** Called after every committed chunk: its customers wait in the rescore queue. */
  onRescoreQueued: () => void;
  /** Scores are computed in this currency (SCORING_BASE_CURRENCY). */
  baseCurrency: string;
  /** How far in the future a transaction's time may lie (SCORING_CLOCK_SKEW_SECONDS). */
  clockSkewMs: number;
}): TransactionService {
  const { db, runtime } = deps;
  const ingestContext = (principal: Principal): IngestContext => ({
    principal,
    runtime,
    baseCurrency: deps.baseCurrency,
    clockSkewMs: deps.clockSkewMs,
    // Every chunk's commit queued its customers for rescoring: the worker takes them after the response.
    write: async (work) => {
      const result = await deps.write(work);
      deps.onRescoreQueued();
      return result;
    },
  });

  /** The NDJSON answer: the job id at once, progress after every chunk, the summary last. */
  async function* answer(jobId: string, input: NdjsonReader, ingest: IngestContext, log: Logger): AsyncGenerator<string> {
    const total = { received: 0, inserted: 0, duplicates: 0, pending: 0, rejected: 0 };
    let kept = 0;
    yield `${JSON.stringify({ jobId })}\n`;
    log.info({ jobId }, 'ingest started');
    let chunksDone = 0;
    // Alive while the stream is read; a job whose heartbeat stops (its process died) is marked interrupted.
    const stopBeating = deps.heartbeats.track('ingest_job', jobId);
    // The job's counters commit with each chunk: after a crash they say exactly what was written.
    const jobIngest: IngestContext = {
      ...ingest,
      recordChunk: async (trx, results) => {
        const rejectedLines = rejectedLinesOf(results).slice(0, Math.max(0, MAX_REJECTED_KEPT - kept));
        kept += rejectedLines.length;
        await ingestJobRepository.recordChunk(trx, jobId, summarise(results), rejectedLines, results.reduce((last, r) => Math.max(last, r.index + 1), 0));
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
        if (++chunksDone % 20 === 0) log.info({ jobId, progress: total }, 'ingest progress');
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
      await ingestJobRepository.finish(db, jobId, { stoppedBecause: stopped?.detail, lastLine: stopped?.afterLine ?? input.linesRead, finishedAt: runtime.now().toISOString() });
      log.info({ jobId, summary: total, stoppedAfterLine: stopped?.afterLine }, stopped ? 'ingest stopped at a limit' : 'ingest finished');
      yield `${JSON.stringify({ jobId, summary: total })}\n`;
      if (stopped) yield ndjsonStopLine(stopped, { jobId });
    } catch (error) {
      const message = String(error instanceof Error ? error.message : error);
      await ingestJobRepository.fail(db, jobId, message, runtime.now().toISOString());
      log.error({ err: error, jobId }, 'ingest failed');
      yield `${JSON.stringify({ jobId, error: 'the ingest failed; see the job for what was written' })}\n`;
    } finally {
      stopBeating();
    }
  }

  return {
    async ingestItems(principal, items) {
      const { results } = await ingestChunk(items, ingestContext(principal));
      return { results, summary: summarise(results) };
    },

    async ingestStream(principal, lines, log) {
      const jobId = runtime.newId();
      await ingestJobRepository.create(db, { id: jobId, principalSubject: principal.subject, dealerId: dealerScope(principal) ?? null, createdAt: runtime.now().toISOString() });
      return { jobId, answer: answer(jobId, lines, ingestContext(principal), log) };
    },

    async getIngestJob(principal, id) {
      const job = await ingestJobRepository.findById(db, id);
      const scope = dealerScope(principal);
      if (!job || (scope && job.dealer_id !== scope)) throw problem(Problems.notFound, `ingest job ${id} does not exist`);
      return {
        id: job.id,
        status: job.status,
        received: job.received,
        inserted: job.inserted,
        duplicates: job.duplicates,
        pending: job.pending,
        rejected: job.rejected,
        // Chunks are written side by side and commit in any order: their rejected lines are shown in line order.
        rejectedLines: (job.rejected_lines as RejectedLine[]).sort((a, b) => a.line - b.line),
        error: job.error,
        lastLine: job.last_line,
        createdAt: new Date(job.created_at).toISOString(),
        finishedAt: job.finished_at ? new Date(job.finished_at).toISOString() : null,
      };
    },

    async list(principal, query) {
      const before = decodeCursor(query.cursor, ListCursor);
      const rows = await transactionsRepository.list(db, {
        // A dealer sees the rows of its customers (by their current assignment); someone else's customerId is an empty page.
        assignedToDealer: dealerScope(principal),
        dealerId: query.dealerId,
        // A merged-away id lists its survivor's transactions (they moved there with the merge).
        customerId: query.customerId && (await customerAliasRepository.finalSurvivorOf(db, query.customerId)),
        before,
        limit: query.limit + 1,
      });
      return paginate(rows, query.limit, transactionView, (t) => ({ at: new Date(t.occurred_at).toISOString(), id: t.id }));
    },
  };
}
