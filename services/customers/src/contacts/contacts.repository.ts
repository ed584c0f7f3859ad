import { sql } from 'kysely';
import { table } from '../customers/customers.repository';
import type { ContactRow, Db } from '../db/tables';

export type { ContactRow } from '../db/tables';

export const contactRepository = Object.freeze({
  /** False when the person already has this buying role at the organization. */
  async insert(
    trx: Db,
    contact: { id: string; organizationId: string; personId: string; buyingRole: string; jobTitle: string | null; createdAt: string },
  ): Promise<boolean> {
    const inserted = await trx
      .insertInto('contact')
      .values({ id: contact.id, organization_id: contact.organizationId, person_id: contact.personId, buying_role: contact.buyingRole, job_title: contact.jobTitle, created_at: contact.createdAt })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  },

  /** An organization's contacts, oldest first; with `dealerId` only the persons that are that dealer's customers. */
  async ofOrganization(db: Db, organizationId: string, dealerId: string | undefined): Promise<ContactRow[]> {
    let query = db.selectFrom('contact').selectAll('contact').where('organization_id', '=', organizationId);
    if (dealerId) query = query.innerJoin('customer', 'customer.id', 'contact.person_id').where('customer.dealer_id', '=', dealerId);
    return query.orderBy('contact.created_at').execute();
  },

  /** Every link the customer is part of, as the organization or as the person. */
  async involving(db: Db, customerId: string): Promise<ContactRow[]> {
    return db.selectFrom('contact').selectAll().where((eb) => eb.or([eb('organization_id', '=', customerId), eb('person_id', '=', customerId)])).execute();
  },

  /** A merge: contacts move over; a link the survivor already has is dropped rather than doubled. */
  async moveAll(trx: Db, from: string, to: string): Promise<void> {
    for (const column of ['organization_id', 'person_id'] as const) {
      await sql`delete from ${table('contact')} d using ${table('contact')} s
        where d.${sql.ref(column)} = ${from} and s.${sql.ref(column)} = ${to}
          and s.buying_role = d.buying_role
          and ${column === 'organization_id' ? sql`s.person_id = d.person_id` : sql`s.organization_id = d.organization_id`}`.execute(trx);
      await sql`update ${table('contact')} set ${sql.ref(column)} = ${to} where ${sql.ref(column)} = ${from}`.execute(trx);
    }
  },

  async deleteFor(trx: Db, customerIds: string[]): Promise<void> {
    await sql`delete from ${table('contact')} where organization_id = any(${customerIds}::uuid[]) or person_id = any(${customerIds}::uuid[])`.execute(trx);
  },
});
