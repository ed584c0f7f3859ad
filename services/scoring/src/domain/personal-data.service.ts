import { SHARED_NAMESPACE } from '@crm/domain';
import { sql } from 'kysely';
import { table, type ScoringDb } from '../db/scoring.repository';
import { transactionView, type TransactionRow } from './transaction.view';

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/**
 * Everything scoring holds on one customer (GDPR art. 15/20), for the gateway's export: the projection
 * it keeps, the customer's transactions (pending ones that name it by our id or an external id included),
 * scores, tier history and override, and segment memberships. Nothing on a customer it does not know.
 */
export async function personalDataOf(db: ScoringDb, customerId: string) {
  const [profile, externalIds, transactions, score, tierHistory, tierOverride, segments] = await Promise.all([
    db.selectFrom('customer').selectAll().where('id', '=', customerId).executeTakeFirst(),
    db.selectFrom('customer_external_id').select(['system', 'external_id']).where('customer_id', '=', customerId).orderBy('system').orderBy('external_id').execute(),
    sql<TransactionRow>`
      select t.id, t.source_system, t.external_id, t.namespace, t.customer_id, t.occurred_at, t.type, t.amount, t.currency, t.amount_base, t.quantity,
        t.product, t.category, t.channel, t.dealer_id
      from ${table('transaction')} t
      where t.customer_id = ${customerId}
        or (t.customer_id is null and t.customer_ref_id is not null and (
          (t.customer_ref_system = 'crm' and t.customer_ref_id = ${customerId})
          or (t.customer_ref_system, t.customer_ref_id) in (select system, external_id from ${table('customer_external_id')} where customer_id = ${customerId} and namespace = ${SHARED_NAMESPACE})))
      order by t.occurred_at, t.id`.execute(db),
    db.selectFrom('customer_score').selectAll().where('customer_id', '=', customerId).executeTakeFirst(),
    db.selectFrom('tier_history').selectAll().where('customer_id', '=', customerId).orderBy('id').execute(),
    db.selectFrom('tier_override').selectAll().where('customer_id', '=', customerId).executeTakeFirst(),
    db
      .selectFrom('segment_member')
      .innerJoin('segment', 'segment.id', 'segment_member.segment_id')
      .select(['segment.id', 'segment.name', 'segment_member.entered_at'])
      .where('segment_member.customer_id', '=', customerId)
      .orderBy('segment.name')
      .execute(),
  ]);
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
    transactions: transactions.rows.map((t) => ({ ...transactionView(t), status: t.customer_id ? ('linked' as const) : ('pending' as const) })),
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
          scoredAt: iso(score.scored_at),
        }
      : null,
    tierHistory: tierHistory.map((h) => ({ from: h.from_tier, to: h.to_tier, reason: h.reason, changedAt: new Date(h.changed_at).toISOString() })),
    tierOverride: tierOverride
      ? { tier: tierOverride.tier, reason: tierOverride.reason, expiresAt: iso(tierOverride.expires_at), createdBy: tierOverride.created_by, createdAt: new Date(tierOverride.created_at).toISOString() }
      : null,
    segments: segments.map((s) => ({ segmentId: s.id, name: s.name, enteredAt: new Date(s.entered_at).toISOString() })),
  };
}
