import type { Principal } from '@crm/domain';
import { requireVisibleCustomer, survivorLocation } from '../customer-projection/customer-scope.service';
import type { ScoringDb } from '../db/tables';
import type { CustomerScores } from './scores.schemas';
import { scoresRepository } from './scores.repository';

/** The scores of a customer, or where they moved (a merged-away id: the same URL on its survivor). */
export type ScoresAnswer = { moved: string } | { scores: CustomerScores };

export interface ScoreService {
  /** 404 for an unknown customer, or another dealer's. */
  forCustomer(principal: Principal, customerId: string, url: string): Promise<ScoresAnswer>;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function createScoreService(deps: { db: ScoringDb }): ScoreService {
  const { db } = deps;
  return {
    async forCustomer(principal, customerId, url) {
      const moved = await survivorLocation(db, principal, customerId, url);
      if (moved) return { moved };
      await requireVisibleCustomer(db, principal, customerId);
      const score = await scoresRepository.findByCustomer(db, customerId);
      return {
        scores: {
          customerId,
          rfm: { recency: score?.recency ?? null, frequency: score?.frequency ?? null, monetary: score?.monetary ?? null, cell: score?.rfm_cell ?? null },
          historical: {
            revenue: score?.revenue ?? '0',
            orderCount: score?.order_count ?? 0,
            firstPurchaseAt: iso(score?.first_purchase_at ?? null),
            lastPurchaseAt: iso(score?.last_purchase_at ?? null),
            averageOrderValue: score?.average_order_value ?? null,
          },
          predicted: {
            expectedTransactions: score?.expected_transactions ?? null,
            pAlive: score?.p_alive ?? null,
            churnRisk: score?.p_alive == null ? null : 1 - score.p_alive,
            expectedSpend: score?.expected_spend ?? null,
            clv: score?.clv ?? null,
            modelVersion: score?.clv_model_version ?? null,
          },
          needsDiversity: score?.needs_diversity ?? null,
          quadrant: (score?.quadrant ?? null) as CustomerScores['quadrant'],
          tier: score?.tier ?? null,
          scoredAt: iso(score?.scored_at ?? null),
        },
      };
    },
  };
}
