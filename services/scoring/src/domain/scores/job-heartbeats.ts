import type { Logger } from '@crm/platform';
import { sql } from 'kysely';
import { releaseRescoresOfInactiveRuns } from '../../db/rescore-queue.repository';
import type { ScoringDb } from '../../db/scoring.repository';

/** The tables whose rows say `running` while a process works on them. */
export type HeartbeatTable = 'scoring_run' | 'ingest_job';

export interface JobHeartbeats {
  /** Keeps the row's heartbeat fresh until the returned function is called (at the job's end, whatever the outcome). */
  track(table: HeartbeatTable, id: string): () => void;
  /**
   * Marks `interrupted` every run and ingest job still `running` whose heartbeat is older than the
   * limit: their process died (crash, `kill -9`, a shutdown that could not wait). Safe with several
   * replicas: a live process refreshes its rows far more often than the limit.
   */
  interruptAbandoned(): Promise<void>;
  /** Sweeps at once, then beats and sweeps every `intervalMs`. */
  start(): void;
  stop(): Promise<void>;
}

export interface JobHeartbeatOptions {
  db: ScoringDb;
  logger: Logger;
  /** How often running jobs refresh their heartbeat (and abandoned ones are looked for). */
  intervalMs: number;
  /** A heartbeat older than this marks the job interrupted. */
  interruptedAfterMs: number;
}

export function createJobHeartbeats({ db, logger, intervalMs, interruptedAfterMs }: JobHeartbeatOptions): JobHeartbeats {
  const tracked: Record<HeartbeatTable, Set<string>> = { scoring_run: new Set(), ingest_job: new Set() };
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;
  const staleBefore = sql<Date>`now() - make_interval(secs => ${interruptedAfterMs / 1000})`;

  async function beat(): Promise<void> {
    for (const table of ['scoring_run', 'ingest_job'] as const) {
      const ids = [...tracked[table]];
      if (ids.length > 0) await db.updateTable(table).set({ heartbeat_at: sql`now()` }).where('id', 'in', ids).execute();
    }
  }

  async function interruptAbandoned(): Promise<void> {
    const runs = await db
      .updateTable('scoring_run')
      .set({
        status: 'interrupted',
        finished_at: sql`now()`,
        error: sql`'interrupted: its process stopped during step "' || coalesce(step, 'none') || '" (last heartbeat ' || coalesce(heartbeat_at, started_at, created_at)::text || '); the steps before it were committed'`,
      })
      .where('status', 'in', ['queued', 'running'])
      .where(sql<boolean>`coalesce(heartbeat_at, started_at, created_at) < ${staleBefore}`)
      .returning('id')
      .execute();
    const jobs = await db
      .updateTable('ingest_job')
      .set({
        status: 'interrupted',
        finished_at: sql`now()`,
        error: sql`'interrupted: its process stopped before the end of the stream (last heartbeat ' || coalesce(heartbeat_at, created_at)::text || '); committed: the '
          || received || ' lines the counters show (' || inserted || ' inserted, ' || pending || ' pending, ' || duplicates || ' duplicates, '
          || rejected || ' rejected); nothing after them was read, so send the rest again (lines already inserted come back as duplicates)'`,
      })
      .where('status', '=', 'running')
      .where(sql<boolean>`coalesce(heartbeat_at, created_at) < ${staleBefore}`)
      .returning('id')
      .execute();
    // The customers an interrupted ingest touched are in the rescore queue already (queued with each chunk);
    // those an interrupted run had taken over go back to the worker.
    await releaseRescoresOfInactiveRuns(db);
    if (runs.length + jobs.length > 0) {
      logger.warn({ runs: runs.map((r) => r.id), ingestJobs: jobs.map((j) => j.id) }, 'marked interrupted: their process stopped');
    }
  }

  const tick = () => {
    beating ??= (async () => {
      try {
        await beat();
        await interruptAbandoned();
      } catch (error) {
        logger.warn({ err: error }, 'job heartbeat failed; trying again');
      } finally {
        beating = undefined;
      }
    })();
    return beating;
  };

  return {
    track(table, id) {
      tracked[table].add(id);
      return () => void tracked[table].delete(id);
    },
    interruptAbandoned,
    start() {
      if (timer) return;
      void tick();
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await beating;
    },
  };
}
