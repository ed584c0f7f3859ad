import { ScoringEvents } from '@crm/domain';
import { allowLongStatements, lockForTransaction, type Outbox, type Runtime } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { ScoringLocks } from '../locks';
import { tierAssignmentRepository } from './tier-assignment.repository';
import { loadTierSet } from './tier-set.service';

export interface TierContext {
  outbox: Outbox;
  runtime: Runtime;
  /** How long a lower rule tier must hold before a downgrade applies (config SCORING_TIER_GRACE_DAYS); 30 by default. */
  graceDays?: number;
}

export const DEFAULT_TIER_GRACE_DAYS = 30;
export type { TierChangeReason } from './tier-assignment.repository';

const DAY_MS = 86_400_000;
/** Events per outbox statement: bounded statement size however many customers change. */
const EVENT_CHUNK = 5_000;

/**
 * Re-evaluates tiers from `customer_score` (all customers, or the ones given), in one set-based
 * statement:
 *   - an unexpired manual override (tier_override) wins (reason `override`); an expired one is
 *     deleted and the customer goes straight to the rule tier (`override-expired`);
 *   - otherwise the rule tier (compileTierExpression over the current tier set): upgrades, and
 *     customers without a known tier, change at once (`rules`);
 *   - a downgrade waits: tier_downgrade_pending records since when the customer qualifies only for a
 *     lower tier (its candidate follows the latest rule tier, `since` stays); once that has held for
 *     the grace period the downgrade applies (`grace-period-ended`). A recovery to the current tier
 *     or above clears the pending row. A grace period of 0 downgrades at once (`rules`).
 * Every change updates customer_score.tier, adds a tier_history row and appends
 * `crm.scoring.tier-changed.v1`, all in `trx`. Assignments are serialised by a transaction-level
 * advisory lock, so concurrent runs and overrides never interleave.
 */
export async function assignTiers(trx: ScoringDb, context: TierContext, customerIds?: readonly string[]): Promise<{ changed: number }> {
  if (customerIds && customerIds.length === 0) return { changed: 0 };
  if (!customerIds) await allowLongStatements(trx);
  await lockForTransaction(trx, ScoringLocks.tierAssignment);
  const { tiers } = await loadTierSet(trx);
  const now = context.runtime.now();
  const graceDays = context.graceDays ?? DEFAULT_TIER_GRACE_DAYS;
  const at = now.toISOString();
  const cutoff = new Date(now.getTime() - graceDays * DAY_MS).toISOString();

  const rows = await tierAssignmentRepository.assign(trx, { tiers, at, cutoff, customerIds });

  for (let i = 0; i < rows.length; i += EVENT_CHUNK) {
    const events = rows.slice(i, i + EVENT_CHUNK).map((row) => ({ customerId: row.customer_id, from: row.from_tier, to: row.to_tier, reason: row.reason }));
    await context.outbox.appendMany(trx, ScoringEvents.tierChanged, events);
  }
  return { changed: rows.length };
}
