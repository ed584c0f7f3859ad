import { sql, type Selectable } from 'kysely';
import type { IngestJobTable, ScoringDb } from '../db/tables';
import type { IngestSummary, RejectedLine } from './transactions.schemas';

export type IngestJobRow = Selectable<IngestJobTable>;

/** Every query on `ingest_job`: an NDJSON ingest's durable progress. */
export const ingestJobRepository = Object.freeze({
  async create(db: ScoringDb, job: { id: string; principalSubject: string; dealerId: string | null; createdAt: string }): Promise<void> {
    await db
      .insertInto('ingest_job')
      .values({ id: job.id, status: 'running', principal_subject: job.principalSubject, dealer_id: job.dealerId, rejected_lines: '[]', created_at: job.createdAt })
      .execute();
  },

  /** Adds a chunk's counts and rejected lines, in the transaction that writes the chunk (so they never disagree). */
  async recordChunk(trx: ScoringDb, jobId: string, summary: IngestSummary, rejectedLines: RejectedLine[], lastLine: number): Promise<void> {
    await trx
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
  },

  /** The stream ended: to its end (`succeeded`), or stopped at a limit (`failed`, with the detail and the last line read). */
  async finish(db: ScoringDb, jobId: string, end: { stoppedBecause: string | undefined; lastLine: number; finishedAt: string }): Promise<void> {
    await db
      .updateTable('ingest_job')
      .set({ status: end.stoppedBecause === undefined ? 'succeeded' : 'failed', error: end.stoppedBecause ?? null, last_line: end.lastLine, finished_at: end.finishedAt })
      .where('id', '=', jobId)
      .execute();
  },

  async fail(db: ScoringDb, jobId: string, error: string, finishedAt: string): Promise<void> {
    await db.updateTable('ingest_job').set({ status: 'failed', error, finished_at: finishedAt }).where('id', '=', jobId).execute();
  },

  async findById(db: ScoringDb, id: string): Promise<IngestJobRow | undefined> {
    return db.selectFrom('ingest_job').selectAll().where('id', '=', id).executeTakeFirst();
  },
});
