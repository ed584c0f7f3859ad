import type { Outbox, Runtime } from '@crm/platform';
import type { ScoringConfig } from '../config';
import type { ScoringDb } from '../db/scoring.repository';
import type { JobHeartbeats, RescoreWorker } from '../domain/scores';

/** What every route plugin of the scoring service is handed. */
export interface ScoringRouteContext {
  db: ScoringDb;
  outbox: Outbox;
  runtime: Runtime;
  config: ScoringConfig;
  /** Runs `work` in one transaction, then wakes the outbox relay. */
  write: <T>(work: (trx: ScoringDb) => Promise<T>) => Promise<T>;
  /** Keeps running ingest jobs' and runs' heartbeats fresh; marks those of dead processes interrupted. */
  heartbeats: JobHeartbeats;
  /** Drains the rescore queue that ingest fills in its transactions: wake it after committing. */
  rescoreWorker: RescoreWorker;
}
