import type { Principal } from '@crm/domain';
import { assertVisibleToDealer } from '../customer-projection/customer-scope.service';
import type { ScoringDb } from '../db/tables';
import { transactionView } from '../transactions/transaction.view';
import { personalDataRepository } from './personal-data.repository';
import type { CustomerPersonalData } from './personal-data.schemas';

export interface PersonalDataService {
  /** A dealer sees only its own customers (others are 404); nothing on a customer scoring does not know. */
  ofCustomer(principal: Principal, customerId: string): Promise<CustomerPersonalData>;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/**
 * Everything scoring holds on one customer (GDPR art. 15/20), for the gateway's export: the projection
 * it keeps, the customer's transactions (pending ones that name it by our id or an external id included),
 * scores, tier history and override, and segment memberships. Nothing on a customer it does not know.
 */
export function createPersonalDataService(deps: { db: ScoringDb }): PersonalDataService {
  const { db } = deps;
  return {
    async ofCustomer(principal, customerId) {
      await assertVisibleToDealer(db, principal, customerId);
      const { profile, externalIds, transactions, score, tierHistory, tierOverride, segments } = await personalDataRepository.ofCustomer(db, customerId);
      return {
        customerId,
        profile: profile
          ? {
              kind: profile.kind,
              dealerId: profile.dealer_id,
              birthDate: profile.birth_date,
              lifecycleStage: profile.lifecycle_stage,
              city: profile.city,
              region: profile.region,
              country: profile.country,
              consents: profile.consents,
            }
          : null,
        externalIds: externalIds.map((e) => ({ system: e.system, id: e.external_id })),
        // Pending: sales that name the person but were never linked (an id or external id it had).
        transactions: transactions.map((t) => ({ ...transactionView(t), status: t.customer_id ? ('linked' as const) : ('pending' as const) })),
        scores: score
          ? {
              rfm: { recency: score.recency, frequency: score.frequency, monetary: score.monetary, cell: score.rfm_cell },
              revenue: score.revenue,
              orderCount: score.order_count,
              firstPurchaseAt: iso(score.first_purchase_at),
              lastPurchaseAt: iso(score.last_purchase_at),
              averageOrderValue: score.average_order_value,
              clv: score.clv,
              clvModelVersion: score.clv_model_version,
              expectedTransactions: score.expected_transactions,
              pAlive: score.p_alive,
              expectedSpend: score.expected_spend,
              needsDiversity: score.needs_diversity,
              quadrant: score.quadrant,
              tier: score.tier,
              scoredAt: new Date(score.scored_at).toISOString(),
            }
          : null,
        tierHistory: tierHistory.map((h) => ({ from: h.from_tier, to: h.to_tier, reason: h.reason, changedAt: new Date(h.changed_at).toISOString() })),
        tierOverride: tierOverride
          ? { tier: tierOverride.tier, reason: tierOverride.reason, expiresAt: iso(tierOverride.expires_at), createdBy: tierOverride.created_by, createdAt: new Date(tierOverride.created_at).toISOString() }
          : null,
        segments: segments.map((s) => ({ segmentId: s.id, name: s.name, enteredAt: new Date(s.entered_at).toISOString() })),
      };
    },
  };
}
