import { createLoopSleep, type Logger } from '@crm/platform';
import { recomputeOptionsOf, rescoreCustomers } from '../scores/score-computation.service';
import { refreshSegments } from '../segments/segment-membership.service';
import { assignTiers } from '../tiers/tier-assignment.service';
import { rescoreQueueRepository, type RescoreClaim } from './rescore-queue.repository';
import { settleRuns, startRun, type RunContext } from './runs.service';

/** Above this many waiting customers a full run serves better than incremental rescoring. */
const INCREMENTAL_LIMIT = 50_000;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 5 * 60_000;
/** When a full run is wanted but another is active: look again after this. */
const RUN_BUSY_RETRY_MS = 10_000;

interface DrainWaiter {
  resolve(): void;
  reject(error: Error): void;
}

export interface RescoreWorker {
  /** Starts draining the queue in the background (a second call does nothing). */
  start(): void;
  /** Looks at the queue now instead of at the next poll: call it after committing queued customers. */
  wake(): void;
  /**
   * Resolves once every customer queued before the call is rescored (or waits in a retry's backoff),
   * including a full run this worker started for a large backlog. For tests and orderly handovers.
   */
  drain(): Promise<void>;
  /** Lets the batch in flight finish, then ends the loop. */
  stop(): Promise<void>;
}

/** Scores, tiers and segment memberships of these customers, brought up to date (each step its own transaction, as in a run). */
export async function rescoreNow(context: RunContext, customerIds: readonly string[]): Promise<void> {
  if (customerIds.length === 0) return;
  const ids = [...customerIds];
  const tiers = { outbox: context.outbox, runtime: context.runtime, graceDays: context.config.SCORING_TIER_GRACE_DAYS };
  await context.write((trx) => rescoreCustomers(trx, ids, recomputeOptionsOf(context.config, context.runtime.now())));
  await context.write((trx) => assignTiers(trx, tiers, ids));
  await context.write((trx) => refreshSegments(trx, tiers, { customerIds: ids }));
}

/**
 * Drains `scoring.rescore_queue`, which ingest fills in the transactions that write the sales: the
 * response never waits for rescoring, and a crash loses none of it. Claims are leases (a worker that
 * dies mid-batch leaves its customers to be claimed again once the lease ends); a failed batch comes
 * back after an exponential backoff. Several replicas share the queue (`for update skip locked`).
 */
export interface RescoreWorkerOptions {
  pollIntervalMs?: number;
  /**
   * A claim hides its customers from other workers this long, renewed every third of it while the
   * rescore runs: a worker whose process dies leaves them to others once it runs out.
   */
  claimLeaseMs?: number;
  /** Above this many waiting customers, a full run instead of incremental rescoring (default 50,000). */
  incrementalLimit?: number;
}

export function createRescoreWorker(context: RunContext, logger: Logger, options: RescoreWorkerOptions = {}): RescoreWorker {
  const { pollIntervalMs = 1_000, claimLeaseMs = 90_000, incrementalLimit = INCREMENTAL_LIMIT } = options;
  let running = false;
  let loop: Promise<void> | undefined;
  const { pause, wake, interrupt } = createLoopSleep(() => running);
  let drainWaiters: DrainWaiter[] = [];

  /** One pass; true when it found customers to rescore (then the next pass follows at once). */
  async function pass(): Promise<boolean> {
    const claims = await rescoreQueueRepository.claim(context.db, incrementalLimit + 1, claimLeaseMs);
    if (claims.length === 0) return false;
    if (claims.length > incrementalLimit) {
      await rescoreByFullRun(claims);
      return true;
    }
    const renewal = setInterval(() => {
      rescoreQueueRepository.extendClaims(context.db, claims, claimLeaseMs).catch((error: unknown) => logger.warn({ err: error }, 'could not extend the rescore claims'));
    }, claimLeaseMs / 3);
    try {
      await rescoreNow(context, claims.map((c) => c.customerId));
      clearInterval(renewal);
      await rescoreQueueRepository.complete(context.db, claims);
    } catch (error) {
      clearInterval(renewal);
      await retryLater(claims, error);
    }
    return true;
  }

  /** The run takes over every waiting customer (and deletes them when it succeeds). */
  async function rescoreByFullRun(claims: RescoreClaim[]): Promise<void> {
    const { started, run } = await startRun(context, 'ingest');
    logger.info({ runId: run.id, started, customers: claims.length }, started ? 'large rescore backlog: full scoring run' : 'large rescore backlog: waiting for the active run');
    if (!started) await rescoreQueueRepository.retryLater(context.db, claims, RUN_BUSY_RETRY_MS, `waiting for scoring run ${run.id} to end`);
  }

  async function retryLater(claims: RescoreClaim[], error: unknown): Promise<void> {
    const attempts = Math.max(1, ...(await rescoreQueueRepository.attemptsOf(context.db, claims.map((c) => c.customerId))));
    const delayMs = Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);
    logger.warn({ err: error, customers: claims.length, attempts, retryInMs: delayMs }, 'rescoring failed; retrying later');
    await rescoreQueueRepository.retryLater(context.db, claims, delayMs, error instanceof Error ? error.message : String(error));
  }

  async function runLoop(): Promise<void> {
    let failures = 0;
    while (running) {
      const waiters = drainWaiters;
      drainWaiters = [];
      let busy: boolean;
      try {
        busy = await pass();
        failures = 0;
      } catch (error) {
        // The database failed (claiming or recording): nothing is lost, the claims' leases run out.
        failures += 1;
        logger.warn({ err: error, failures }, 'rescore queue pass failed; trying again');
        drainWaiters.unshift(...waiters);
        await pause(Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS), false);
        continue;
      }
      if (busy) {
        drainWaiters.unshift(...waiters);
        continue;
      }
      // A drain is answered by a pass that began after it and found nothing to do.
      if (waiters.length > 0) void settleRuns(context).finally(() => waiters.forEach((waiter) => waiter.resolve()));
      await pause(pollIntervalMs, true);
    }
  }

  return {
    start() {
      if (loop) return;
      running = true;
      loop = runLoop().catch((error: unknown) => logger.error({ err: error }, 'rescore worker loop crashed'));
    },
    wake,
    drain() {
      if (!running) return Promise.reject(new Error('rescore worker is not running'));
      return new Promise<void>((resolve, reject) => {
        drainWaiters.push({ resolve, reject });
        wake();
      });
    },
    async stop() {
      running = false;
      interrupt();
      await loop;
      loop = undefined;
      for (const waiter of drainWaiters.splice(0)) waiter.reject(new Error('rescore worker stopped before draining'));
    },
  };
}
