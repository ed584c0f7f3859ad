import type { Logger } from '@crm/platform';
import { refreshSegments } from '../segments/segment-membership.service';
import { assignTiers } from '../tiers/tier-assignment.service';
import { recomputeOptionsOf, rescoreCustomers } from './score.service';
import { startRun, type RunContext } from './scoring-run.service';

/** Above this many customers one ingest is better served by a full run than by incremental rescoring. */
const INCREMENTAL_LIMIT = 50_000;

/**
 * After an ingest: the customers whose purchases changed get new scores, tiers and segment
 * memberships at once (each step its own transaction, as in a run). A very large ingest starts a
 * full run instead (or leaves it to the one already running).
 */
export async function rescoreAfterIngest(context: RunContext, customerIds: ReadonlySet<string>, logger: Logger): Promise<void> {
  if (customerIds.size === 0) return;
  if (customerIds.size > INCREMENTAL_LIMIT) {
    const { started, run } = await startRun(context, 'ingest');
    logger.info({ runId: run.id, started, customers: customerIds.size }, 'large ingest: full scoring run');
    return;
  }
  const ids = [...customerIds];
  const tiers = { outbox: context.outbox, runtime: context.runtime, graceDays: context.config.SCORING_TIER_GRACE_DAYS };
  await context.write((trx) => rescoreCustomers(trx, ids, recomputeOptionsOf(context.config, context.runtime.now())));
  await context.write((trx) => assignTiers(trx, tiers, ids));
  await context.write((trx) => refreshSegments(trx, tiers, { customerIds: ids }));
}
