import type { Outbox, Runtime } from '@crm/platform';
import type { ScoringConfig } from '../config';
import type { ScoringDb } from '../db/scoring.repository';

/** What every route plugin of the scoring service is handed. */
export interface ScoringRouteContext {
  db: ScoringDb;
  outbox: Outbox;
  runtime: Runtime;
  config: ScoringConfig;
  /** Runs `work` in one transaction, then wakes the outbox relay. */
  write: <T>(work: (trx: ScoringDb) => Promise<T>) => Promise<T>;
  /** Brings the scores, tiers and segments of these customers up to date (after an ingest). */
  rescore: (customerIds: ReadonlySet<string>) => Promise<void>;
}
