import { startPeriodicJob, type Logger, type PeriodicJob } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { jobHeartbeatsRepository, type HeartbeatTable } from './job-heartbeats.repository';
import { rescoreQueueRepository } from './rescore-queue.repository';

export type { HeartbeatTable } from './job-heartbeats.repository';

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
  let schedule: PeriodicJob | undefined;

  async function beat(): Promise<void> {
    for (const table of ['scoring_run', 'ingest_job'] as const) await jobHeartbeatsRepository.beat(db, table, [...tracked[table]]);
  }

  async function interruptAbandoned(): Promise<void> {
    const runs = await jobHeartbeatsRepository.interruptStaleRuns(db, interruptedAfterMs);
    const jobs = await jobHeartbeatsRepository.interruptStaleIngestJobs(db, interruptedAfterMs);
    // The customers an interrupted ingest touched are in the rescore queue already (queued with each chunk);
    // those an interrupted run had taken over go back to the worker.
    await rescoreQueueRepository.releaseOfInactiveRuns(db);
    if (runs.length + jobs.length > 0) {
      logger.warn({ runs, ingestJobs: jobs }, 'marked interrupted: their process stopped');
    }
  }

  return {
    track(table, id) {
      tracked[table].add(id);
      return () => void tracked[table].delete(id);
    },
    interruptAbandoned,
    start() {
      schedule ??= startPeriodicJob({
        name: 'job heartbeat',
        intervalMs,
        logger,
        run: async () => {
          await beat();
          await interruptAbandoned();
        },
      });
    },
    async stop() {
      await schedule?.stop();
      schedule = undefined;
    },
  };
}
