import { SHARED_NAMESPACE } from '@crm/domain';
import { sql, type Selectable } from 'kysely';
import type { CustomerScoreTable, CustomerTable, ScoringDb, TierHistoryTable, TierOverrideTable } from '../db/tables';
import type { TransactionRow } from '../transactions/transaction.view';

/** Everything scoring stores on one customer, as stored. */
export interface StoredPersonalData {
  profile: Selectable<CustomerTable> | undefined;
  externalIds: { system: string; external_id: string }[];
  transactions: TransactionRow[];
  score: Selectable<CustomerScoreTable> | undefined;
  tierHistory: Selectable<TierHistoryTable>[];
  tierOverride: Selectable<TierOverrideTable> | undefined;
  segments: { id: string; name: string; entered_at: Date }[];
}

export const personalDataRepository = Object.freeze({
  /**
   * The projection, the customer's transactions (pending ones that name it by our id or a shared
   * external id included), scores, tier history and override, and segment memberships.
   */
  async ofCustomer(db: ScoringDb, customerId: string): Promise<StoredPersonalData> {
    const [profile, externalIds, transactions, score, tierHistory, tierOverride, segments] = await Promise.all([
      db.selectFrom('customer').selectAll().where('id', '=', customerId).executeTakeFirst(),
      db.selectFrom('customer_external_id').select(['system', 'external_id']).where('customer_id', '=', customerId).orderBy('system').orderBy('external_id').execute(),
      sql<TransactionRow>`
        select t.id, t.source_system, t.external_id, t.namespace, t.customer_id, t.occurred_at, t.type, t.amount, t.currency, t.amount_base, t.quantity,
          t.product, t.category, t.channel, t.dealer_id
        from scoring.transaction t
        where t.customer_id = ${customerId}
          or (t.customer_id is null and t.customer_ref_id is not null and (
            (t.customer_ref_system = 'crm' and t.customer_ref_id = ${customerId})
            or (t.customer_ref_system, t.customer_ref_id) in (select system, external_id from scoring.customer_external_id where customer_id = ${customerId} and namespace = ${SHARED_NAMESPACE})))
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
    return { profile, externalIds, transactions: transactions.rows, score, tierHistory, tierOverride, segments };
  },
});
