import type { Outbox, Runtime } from '@crm/platform';
import type { ScoringDb } from '../../db/scoring.repository';

export interface TierContext {
  outbox: Outbox;
  runtime: Runtime;
}

/**
 * Re-evaluates tiers from `customer_score` (all customers, or the ones given): rules by rank,
 * downgrade grace period, manual overrides; writes tier history and `crm.scoring.tier-changed.v1`.
 * Placeholder until the tiers feature lands: changes nothing.
 */
export async function assignTiers(_trx: ScoringDb, _context: TierContext, _customerIds?: readonly string[]): Promise<{ changed: number }> {
  return { changed: 0 };
}
