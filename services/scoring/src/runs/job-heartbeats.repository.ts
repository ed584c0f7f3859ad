import { sql } from 'kysely';
import type { ScoringDb } from '../db/tables';

/** The tables whose rows say `running` while a process works on them. */
export type HeartbeatTable = 'scoring_run' | 'ingest_job';

const staleBefore = (interruptedAfterMs: number) => sql<Date>`now() - make_interval(secs => ${interruptedAfterMs / 1000})`;

/** Heartbeats of running scoring runs and ingest jobs, and what becomes of those whose heartbeat stopped. */
export const jobHeartbeatsRepository = Object.freeze({
  async beat(db: ScoringDb, table: HeartbeatTable, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await db.updateTable(table).set({ heartbeat_at: sql`now()` }).where('id', 'in', [...ids]).execute();
  },

  /** Runs queued or running without a heartbeat for `interruptedAfterMs` become `interrupted`; returns their ids. */
  async interruptStaleRuns(db: ScoringDb, interruptedAfterMs: number): Promise<string[]> {
    const rows = await db
      .updateTable('scoring_run')
      .set({
        status: 'interrupted',
        finished_at: sql`now()`,
        error: sql`'interrupted: its process stopped during step "' || coalesce(step, 'none') || '" (last heartbeat ' || coalesce(heartbeat_at, started_at, created_at)::text || '); the steps before it were committed'`,
      })
      .where('status', 'in', ['queued', 'running'])
      .where(sql<boolean>`coalesce(heartbeat_at, started_at, created_at) < ${staleBefore(interruptedAfterMs)}`)
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  },

  /** Ingest jobs running without a heartbeat for `interruptedAfterMs` become `interrupted`, saying what was committed; returns their ids. */
  async interruptStaleIngestJobs(db: ScoringDb, interruptedAfterMs: number): Promise<string[]> {
    const rows = await db
      .updateTable('ingest_job')
      .set({
        status: 'interrupted',
        finished_at: sql`now()`,
        error: sql`'interrupted: its process stopped before the end of the stream (last heartbeat ' || coalesce(heartbeat_at, created_at)::text || '); committed: the '
          || received || ' lines the counters show (' || inserted || ' inserted, ' || pending || ' pending, ' || duplicates || ' duplicates, '
          || rejected || ' rejected); nothing after them was read, so send the rest again (lines already inserted come back as duplicates)'`,
      })
      .where('status', '=', 'running')
      .where(sql<boolean>`coalesce(heartbeat_at, created_at) < ${staleBefore(interruptedAfterMs)}`)
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  },
});
