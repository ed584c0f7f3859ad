import { sql } from 'kysely';
import { table, jsonb } from '../customers/customers.repository';
import type { Db, TimelineEntryRow } from '../db/tables';

export type { TimelineEntryRow } from '../db/tables';

export interface TimelineWrite {
  customerId: string;
  occurredAt: string;
  type: string;
  source: string;
  data: unknown;
  /** Another person the entry's data describes (erasing that person scrubs the entry). */
  mentionedCustomerId?: string;
}

export const timelineRepository = Object.freeze({
  /** One statement for any number of entries. */
  async addEntries(trx: Db, entries: TimelineWrite[]): Promise<void> {
    if (entries.length === 0) return;
    const records = entries.map((e) => ({
      customer_id: e.customerId,
      occurred_at: e.occurredAt,
      type: e.type,
      source: e.source,
      data: e.data,
      mentioned_customer_id: e.mentionedCustomerId ?? null,
    }));
    await sql`
      insert into ${table('timeline_entry')} (customer_id, occurred_at, type, source, data, mentioned_customer_id)
      select customer_id, occurred_at, type, source, data, mentioned_customer_id
      from jsonb_to_recordset(${jsonb(records)})
        as r(customer_id uuid, occurred_at timestamptz, type text, source text, data jsonb, mentioned_customer_id uuid)`.execute(trx);
  },

  /** Newest first, keyset by sequence (one more than `limit`, for the next cursor). */
  async page(db: Db, customerId: string, page: { beforeSeq?: string | undefined; limit: number }): Promise<TimelineEntryRow[]> {
    let query = db.selectFrom('timeline_entry').selectAll().where('customer_id', '=', customerId);
    if (page.beforeSeq !== undefined) query = query.where('id', '<', page.beforeSeq);
    return query.orderBy('id', 'desc').limit(page.limit + 1).execute();
  },

  /** The whole timeline, oldest first. */
  async all(db: Db, customerId: string): Promise<TimelineEntryRow[]> {
    return db.selectFrom('timeline_entry').selectAll().where('customer_id', '=', customerId).orderBy('id').execute();
  },

  /** A merge: the duplicate's history is the survivor's now. */
  async moveAll(trx: Db, from: string, to: string): Promise<void> {
    await trx.updateTable('timeline_entry').set({ customer_id: to }).where('customer_id', '=', from).execute();
  },

  async deleteFor(trx: Db, customerIds: string[]): Promise<void> {
    await sql`delete from ${table('timeline_entry')} where customer_id = any(${customerIds}::uuid[])`.execute(trx);
  },

  /** Another customer's history keeps that something happened, not who it was about. */
  async scrubMentionsOf(trx: Db, customerIds: string[]): Promise<void> {
    await sql`update ${table('timeline_entry')}
      set data = jsonb_strip_nulls(jsonb_build_object('changedFields', data->'changedFields', 'contact', 'erased')), mentioned_customer_id = null
      where mentioned_customer_id = any(${customerIds}::uuid[])`.execute(trx);
  },
});
