import { sql, type RawBuilder } from 'kysely';
import type { ScoringDb } from '../db/tables';

export interface MembershipChange {
  change: 'entered' | 'left';
  customer_id: string;
}

/** Materialised segment membership (`segment_member`) and the counts on `segment` that follow it. */
export const segmentMembershipRepository = Object.freeze({
  /**
   * One set-based statement: compares the compiled rule's members (`target`) with segment_member, inserts
   * the newcomers and deletes the leavers (only among `customerIds` when given). Returns the changes,
   * entered first, each in customer order.
   */
  async apply(trx: ScoringDb, segmentId: string, target: RawBuilder<{ customer_id: string }>, at: string, customerIds?: readonly string[]): Promise<MembershipChange[]> {
    const among = customerIds ? sql` and m.customer_id = any(cast(${[...customerIds]} as uuid[]))` : sql``;
    const { rows } = await sql<MembershipChange>`
      with target as (${target}),
      entered as (
        insert into scoring.segment_member (segment_id, customer_id, entered_at)
        select ${segmentId}, t.customer_id, cast(${at} as timestamptz) from target t
        where not exists (select 1 from scoring.segment_member m where m.segment_id = ${segmentId} and m.customer_id = t.customer_id)
        on conflict do nothing
        returning customer_id
      ),
      leavers as (
        delete from scoring.segment_member m
        where m.segment_id = ${segmentId}${among} and not exists (select 1 from target t where t.customer_id = m.customer_id)
        returning m.customer_id
      )
      select 'entered' as change, customer_id from entered
      union all
      select 'left' as change, customer_id from leavers
      order by change, customer_id`.execute(trx);
    return rows;
  },

  /** The segment's member count moves by `delta`; it was evaluated `at`. */
  async recordEvaluation(trx: ScoringDb, segmentId: string, delta: number, at: string): Promise<void> {
    await trx
      .updateTable('segment')
      .set((eb) => ({ member_count: eb('member_count', '+', delta), evaluated_at: at }))
      .where('id', '=', segmentId)
      .execute();
  },

  /** Every member leaves; returns who they were. */
  async removeAll(trx: ScoringDb, segmentId: string): Promise<string[]> {
    const { rows } = await sql<{ customer_id: string }>`
      delete from scoring.segment_member where segment_id = ${segmentId} returning customer_id`.execute(trx);
    return rows.map((row) => row.customer_id);
  },

  /** A segment's members in customer-id order, after `afterCustomerId`. */
  async page(db: ScoringDb, segmentId: string, afterCustomerId: string | undefined, limit: number): Promise<{ customer_id: string; entered_at: Date }[]> {
    let query = db.selectFrom('segment_member').select(['customer_id', 'entered_at']).where('segment_id', '=', segmentId);
    if (afterCustomerId) query = query.where('customer_id', '>', afterCustomerId);
    return query.orderBy('customer_id').limit(limit).execute();
  },
});
