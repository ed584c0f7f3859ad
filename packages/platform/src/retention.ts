import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { withServiceSettings, type BaseConfig } from './config';
import type { Logger } from './logger';
import { startPeriodicJob } from './periodic-job';
import type { Runtime } from './runtime';

/** How long the bookkeeping tables keep rows; every service reads the same settings. */
export const retentionSettingsSchema = z.object({
  /** Stored idempotent responses: a client retries within hours, not weeks. */
  RETENTION_IDEMPOTENCY_HOURS: z.coerce.number().int().min(1).max(8760).default(24),
  /** Handled event ids; keep at least as long as the topics retain events (a redelivery must still be recognised). */
  RETENTION_INBOX_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  RETENTION_DEAD_LETTER_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Finished NDJSON ingest jobs with their rejected lines (running ones are never purged). */
  RETENTION_INGEST_JOB_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
});
export type RetentionSettings = z.infer<typeof retentionSettingsSchema>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Rows deleted per statement: a purge after a long pause never holds locks on millions of rows at once. */
const BATCH = 10_000;

/** Rows of `table` whose `column` is older than `maxAgeMs` go; `column` null never matches (a running job). */
export interface RetentionRule {
  table: string;
  column: string;
  maxAgeMs: number;
}

/** The platform tables every service schema carries (platform-tables.migration.ts). */
export function platformRetentionRules(settings: RetentionSettings): RetentionRule[] {
  return [
    { table: 'idempotency_key', column: 'created_at', maxAgeMs: settings.RETENTION_IDEMPOTENCY_HOURS * HOUR_MS },
    { table: 'inbox', column: 'handled_at', maxAgeMs: settings.RETENTION_INBOX_DAYS * DAY_MS },
    { table: 'dead_letter', column: 'created_at', maxAgeMs: settings.RETENTION_DEAD_LETTER_DAYS * DAY_MS },
  ];
}

/** Finished ingest jobs (their `finished_at` is set), for services that keep them. */
export const ingestJobRetentionRule = (settings: RetentionSettings): RetentionRule => ({
  table: 'ingest_job',
  column: 'finished_at',
  maxAgeMs: settings.RETENTION_INGEST_JOB_DAYS * DAY_MS,
});

export interface RetentionOptions {
  /** The service's schema, and nothing else. */
  db: Kysely<any>;
  schema: string;
  rules: RetentionRule[];
  runtime: Runtime;
  logger: Logger;
}

export interface RetentionJob {
  /** One purge of every rule now; resolves with the rows deleted per table. */
  runOnce(): Promise<Record<string, number>>;
  /** Ends the schedule and waits for a purge in flight. */
  stop(): Promise<void>;
}

/** Deletes every row of one rule older than the cutoff, a batch at a time; set-based, no row reaches the application. */
async function purge(db: Kysely<any>, schema: string, rule: RetentionRule, cutoff: Date): Promise<number> {
  const table = sql.table(`${schema}.${rule.table}`);
  const column = sql.ref(rule.column);
  let deleted = 0;
  for (;;) {
    const result = await sql`delete from ${table} where ctid = any(array(
      select ctid from ${table} where ${column} < ${cutoff.toISOString()}::timestamptz limit ${BATCH}))`.execute(db);
    const count = Number(result.numAffectedRows ?? 0);
    deleted += count;
    if (count < BATCH) return deleted;
  }
}

/** One purge of every rule, by the clock: the rows deleted per table (tests call it with their clock). */
export async function purgeExpired(options: RetentionOptions): Promise<Record<string, number>> {
  const now = options.runtime.now().getTime();
  const deleted: Record<string, number> = {};
  for (const rule of options.rules) deleted[rule.table] = await purge(options.db, options.schema, rule, new Date(now - rule.maxAgeMs));
  if (Object.values(deleted).some((count) => count > 0)) options.logger.info({ deleted, schema: options.schema }, 'retention purged old rows');
  return deleted;
}

/**
 * What a service does to keep its bookkeeping bounded, written once: reads the retention settings,
 * purges the platform tables (and the service's `extraRules`) at start and every hour, by its clock.
 */
export function startRetention(
  context: { config: BaseConfig; runtime: Runtime; logger: Logger },
  options: { db: Kysely<any>; schema: string; extraRules?: (settings: RetentionSettings) => RetentionRule[]; env?: NodeJS.ProcessEnv },
): RetentionJob {
  const settings = withServiceSettings(context.config, retentionSettingsSchema, options.env);
  const retention: RetentionOptions = {
    db: options.db,
    schema: options.schema,
    rules: [...platformRetentionRules(settings), ...(options.extraRules?.(settings) ?? [])],
    runtime: context.runtime,
    logger: context.logger,
  };
  const job = startPeriodicJob({ name: 'retention', intervalMs: HOUR_MS, logger: context.logger, run: () => purgeExpired(retention) });
  return { runOnce: () => purgeExpired(retention), stop: () => job.stop() };
}
