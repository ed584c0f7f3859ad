import { performance } from 'node:perf_hooks';
import type { Principal } from '@crm/domain';
import { lockForTransaction, problem, Problems, withoutStatementTimeout, type Logger, type Outbox, type Runtime } from '@crm/platform';
import { Cron } from 'croner';
import type { ScoringConfig } from '../config';
import type { ScoringDb } from '../db/tables';
import { ScoringLocks } from '../locks';
import { recomputeOptionsOf, recomputeScores } from '../scores/score-computation.service';
import { refreshSegments } from '../segments/segment-membership.service';
import { assignTiers } from '../tiers/tier-assignment.service';
import type { JobHeartbeats } from './job-heartbeats.service';
import { rescoreQueueRepository } from './rescore-queue.repository';
import { runsRepository, type RunProgress, type RunRow } from './runs.repository';
import type { ScoringRun } from './runs.schemas';

/** What a run needs: the route context of the service has all of it. */
export interface RunContext {
  db: ScoringDb;
  outbox: Outbox;
  runtime: Runtime;
  config: ScoringConfig;
  write: <T>(work: (trx: ScoringDb) => Promise<T>) => Promise<T>;
  /** Keeps a running run's heartbeat fresh; marks runs of dead processes interrupted. */
  heartbeats: JobHeartbeats;
  /** Where long jobs say they started, how far they got and how they ended. */
  logger?: Logger;
}

export type { RunRow } from './runs.repository';

/** Runs executing in this process, per context, so a stop can wait for them. */
const inFlight = new WeakMap<RunContext, Set<Promise<void>>>();

/**
 * Starts a full run unless one is queued or running: `{ started: true, run }` for the new run (already
 * executing in the background of this process), `{ started: false, run }` with the active run otherwise.
 * The check and the insert hold a transaction-level advisory lock, so two concurrent starts cannot both win.
 */
export async function startRun(context: RunContext, trigger: string): Promise<{ started: boolean; run: RunRow }> {
  // A run whose process died (no heartbeat for a while) is interrupted and no longer blocks.
  await context.heartbeats.interruptAbandoned();
  const outcome = await context.db.transaction().execute(async (trx) => {
    await lockForTransaction(trx, ScoringLocks.run);
    const now = context.runtime.now();
    const active = await runsRepository.findActive(trx);
    if (active) return { started: false, run: active };
    const run = await runsRepository.insertQueued(trx, { id: context.runtime.newId(), trigger, createdAt: now.toISOString() });
    return { started: true, run };
  });
  if (outcome.started) track(context, executeRun(context, outcome.run.id));
  return outcome;
}

/**
 * recomputeScores → assignTiers → refreshSegments, the run row showing the step; failures end up on the
 * row. The run covers every customer waiting in the rescore queue when it starts: it deletes them
 * from the queue when it succeeds, and hands them back to the rescore worker otherwise.
 */
export async function executeRun(context: RunContext, runId: string): Promise<void> {
  const { db, runtime } = context;
  const began = performance.now();
  const step = (values: RunProgress) => {
    const seconds = Math.round((performance.now() - began) / 100) / 10;
    if (values.status === 'failed') context.logger?.error({ runId, seconds, error: values.error }, 'scoring run failed');
    else context.logger?.info({ runId, seconds, step: values.step, status: values.status, customersScored: values.customers_scored }, values.status === 'succeeded' ? 'scoring run succeeded' : `scoring run: ${values.step ?? ''}`);
    return runsRepository.update(db, runId, values);
  };
  const stopBeating = context.heartbeats.track('scoring_run', runId);
  let succeeded = false;
  try {
    await step({ status: 'running', step: 'scores', started_at: runtime.now().toISOString() });
    await rescoreQueueRepository.assignToRun(db, runId);
    // Fresh statistics and an all-visible map before the whole-base aggregations (see vacuumTransactions).
    await withoutStatementTimeout(db, (connection) => runsRepository.vacuumTransactions(connection));
    const options = recomputeOptionsOf(context.config, runtime.now());
    const { scored } = await context.write((trx) => recomputeScores(trx, options));
    await step({ step: 'tiers', customers_scored: scored });
    await context.write((trx) => assignTiers(trx, { outbox: context.outbox, runtime, graceDays: context.config.SCORING_TIER_GRACE_DAYS }));
    await step({ step: 'segments' });
    await context.write((trx) => refreshSegments(trx, { outbox: context.outbox, runtime }));
    await step({ status: 'succeeded', step: null, finished_at: runtime.now().toISOString() });
    succeeded = true;
  } catch (error) {
    await step({ status: 'failed', error: error instanceof Error ? error.message : String(error), finished_at: runtime.now().toISOString() }).catch(() => undefined);
  } finally {
    stopBeating();
    await rescoreQueueRepository.settleRun(db, runId, succeeded).catch(() => undefined);
  }
}

function track(context: RunContext, run: Promise<void>): void {
  const runs = inFlight.get(context) ?? new Set<Promise<void>>();
  inFlight.set(context, runs);
  runs.add(run);
  void run.finally(() => runs.delete(run));
}

/** Waits for the runs this process executes for `context`. */
export async function settleRuns(context: RunContext): Promise<void> {
  await Promise.all([...(inFlight.get(context) ?? [])]);
}

export interface NightlyRuns {
  stop(): Promise<void>;
}

/**
 * Starts the nightly full run on SCORING_NIGHTLY_CRON (default `0 2 * * *`). A tick while a run is
 * active does nothing (startRun returns the active run). stop() ends the schedule and waits for runs.
 */
export function startNightlyRuns(context: RunContext, logger?: Logger): NightlyRuns {
  const { SCORING_NIGHTLY_CRON: pattern } = context.config;
  const job = new Cron(pattern, { protect: true }, async () => {
    try {
      const { started, run } = await startRun(context, 'nightly');
      logger?.info({ runId: run.id, started }, started ? 'nightly scoring run started' : 'nightly scoring run skipped: a run is active');
    } catch (error) {
      logger?.error({ err: error }, 'nightly scoring run could not start');
    }
  });
  return {
    async stop() {
      job.stop();
      await settleRuns(context);
    },
  };
}

export interface RunService {
  /** Starts a manual full run; `started: false` with the active run when one is queued or running. */
  start(principal: Principal): Promise<{ started: boolean; run: ScoringRun }>;
  list(limit: number): Promise<ScoringRun[]>;
  /** 404 when there is no such run. */
  get(id: string): Promise<ScoringRun>;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const runView = (run: RunRow): ScoringRun => ({
  id: run.id,
  status: run.status,
  trigger: run.trigger,
  step: run.step as ScoringRun['step'],
  customersScored: run.customers_scored,
  error: run.error,
  createdAt: new Date(run.created_at).toISOString(),
  startedAt: iso(run.started_at),
  finishedAt: iso(run.finished_at),
});

export function createRunService(context: RunContext): RunService {
  return {
    async start(principal) {
      const { started, run } = await startRun(context, `manual:${principal.subject}`);
      return { started, run: runView(run) };
    },
    async list(limit) {
      return (await runsRepository.list(context.db, limit)).map(runView);
    },
    async get(id) {
      const run = await runsRepository.findById(context.db, id);
      if (!run) throw problem(Problems.notFound, `scoring run ${id} does not exist`);
      return runView(run);
    },
  };
}
