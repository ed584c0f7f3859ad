import { sql, type Kysely, type Selectable } from 'kysely';
import type { ScoringDb, ScoringRunTable } from '../db/tables';

export type RunRow = Selectable<ScoringRunTable>;

/** What a run's row says as it goes: status, step, counts and times. */
export type RunProgress = Partial<Pick<ScoringRunTable, 'status' | 'step' | 'error'>> & { customers_scored?: number; started_at?: string; finished_at?: string };

/** Every query on `scoring_run`. */
export const runsRepository = Object.freeze({
  /** The oldest run queued or running, if any. */
  async findActive(db: ScoringDb): Promise<RunRow | undefined> {
    return db.selectFrom('scoring_run').selectAll().where('status', 'in', ['queued', 'running']).orderBy('created_at').executeTakeFirst();
  },

  async insertQueued(trx: ScoringDb, run: { id: string; trigger: string; createdAt: string }): Promise<RunRow> {
    return trx
      .insertInto('scoring_run')
      .values({ id: run.id, status: 'queued', trigger: run.trigger, step: null, error: null, created_at: run.createdAt, started_at: null, finished_at: null, heartbeat_at: run.createdAt })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async update(db: ScoringDb, runId: string, progress: RunProgress): Promise<void> {
    await db.updateTable('scoring_run').set(progress).where('id', '=', runId).execute();
  },

  /** The latest runs, newest first. */
  async list(db: ScoringDb, limit: number): Promise<RunRow[]> {
    return db.selectFrom('scoring_run').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  },

  async findById(db: ScoringDb, id: string): Promise<RunRow | undefined> {
    return db.selectFrom('scoring_run').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /**
   * Marks freshly ingested pages all-visible and refreshes the statistics, so the aggregations read the
   * covering index alone (cheap when autovacuum got there first). On a connection outside any
   * transaction, as VACUUM must be.
   */
  async vacuumTransactions(connection: Kysely<unknown>): Promise<void> {
    await sql`vacuum (analyze) scoring.transaction`.execute(connection);
  },
});
