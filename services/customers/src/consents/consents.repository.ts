import type { ConsentChannel } from '@crm/domain';
import { sql } from 'kysely';
import { table } from '../customers/customers.repository';
import type { ConsentRow, Db } from '../db/tables';

export type { ConsentRow } from '../db/tables';

export const consentRepository = Object.freeze({
  async insert(trx: Db, consent: { customerId: string; channel: ConsentChannel; granted: boolean; source: string; recordedAt: string }): Promise<void> {
    await trx
      .insertInto('consent')
      .values({ customer_id: consent.customerId, channel: consent.channel, granted: consent.granted, source: consent.source, recorded_at: consent.recordedAt })
      .execute();
  },

  /** Every decision on the customer, oldest first. */
  async history(db: Db, customerId: string): Promise<ConsentRow[]> {
    return db.selectFrom('consent').selectAll().where('customer_id', '=', customerId).orderBy('recorded_at').orderBy('id').execute();
  },

  /** A merge: the duplicate's decisions are the survivor's now (the newest per channel stays current). */
  async moveAll(trx: Db, from: string, to: string): Promise<void> {
    await trx.updateTable('consent').set({ customer_id: to }).where('customer_id', '=', from).execute();
  },

  async deleteFor(trx: Db, customerIds: string[]): Promise<void> {
    await sql`delete from ${table('consent')} where customer_id = any(${customerIds}::uuid[])`.execute(trx);
  },
});
