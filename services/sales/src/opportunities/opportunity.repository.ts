import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { SalesScope } from '../ownership/ownership';
import { inScopeWhere } from '../ownership/ownership.repository';
import type { BuyingRole, OpportunityStatus, OpportunityTables } from './opportunity.tables';

export type OpportunityRow = Selectable<OpportunityTables['opportunity']>;
/** An opportunity with the rate of its currency into the base currency (null: none known). */
export type OpportunityWithRate = OpportunityRow & { fx_rate: string | null };
export type StageChangeRow = Selectable<OpportunityTables['opportunity_stage_change']>;
export type ContactRow = Selectable<OpportunityTables['opportunity_contact']>;

const OWNERSHIP = { owner: 'opportunity.owner_subject', dealer: 'opportunity.dealer_id' };

export interface OpportunityFilter {
  customerId?: string;
  status?: OpportunityStatus;
  pipelineId?: string;
  stage?: string;
  ownerSubject?: string;
  dealerId?: string;
  productLine?: string;
  closeFrom?: string;
  closeTo?: string;
  before?: { at: Date; id: string };
  limit: number;
}

const withRate = (db: SalesDb, baseCurrency: string) =>
  db
    .selectFrom('opportunity')
    .leftJoin('exchange_rate as fx', (join) => join.onRef('fx.currency', '=', 'opportunity.currency').on('fx.base_currency', '=', baseCurrency))
    .selectAll('opportunity')
    .select('fx.rate as fx_rate');

/** Every statement on opportunities, their stage history and buying-role contacts. */
export const opportunityRepository = Object.freeze({
  async insert(db: SalesDb, row: Insertable<OpportunityTables['opportunity']>) {
    await db.insertInto('opportunity').values(row).execute();
  },

  async find(db: SalesDb, id: string, baseCurrency: string, options: { forUpdate?: boolean } = {}): Promise<OpportunityWithRate | undefined> {
    let query = withRate(db, baseCurrency).where('opportunity.id', '=', id);
    if (options.forUpdate) query = query.forUpdate('opportunity');
    return query.executeTakeFirst();
  },

  async findByLead(db: SalesDb, leadId: string) {
    return db.selectFrom('opportunity').select('id').where('lead_id', '=', leadId).executeTakeFirst();
  },

  async list(db: SalesDb, scope: SalesScope, baseCurrency: string, filter: OpportunityFilter): Promise<OpportunityWithRate[]> {
    let query = withRate(db, baseCurrency).where(inScopeWhere(scope, OWNERSHIP));
    if (filter.customerId) query = query.where('opportunity.customer_id', '=', filter.customerId);
    if (filter.status) query = query.where('opportunity.status', '=', filter.status);
    if (filter.pipelineId) query = query.where('opportunity.pipeline_id', '=', filter.pipelineId);
    if (filter.stage) query = query.where('opportunity.stage_key', '=', filter.stage);
    if (filter.ownerSubject) query = query.where('opportunity.owner_subject', '=', filter.ownerSubject);
    if (filter.dealerId) query = query.where('opportunity.dealer_id', '=', filter.dealerId);
    if (filter.productLine) query = query.where('opportunity.product_line', '=', filter.productLine);
    if (filter.closeFrom) query = query.where('opportunity.close_date', '>=', filter.closeFrom);
    if (filter.closeTo) query = query.where('opportunity.close_date', '<=', filter.closeTo);
    if (filter.before) query = query.where(sql<boolean>`(opportunity.created_at, opportunity.id) < (${filter.before.at}::timestamptz, ${filter.before.id}::uuid)`);
    return query.orderBy('opportunity.created_at', 'desc').orderBy('opportunity.id', 'desc').limit(filter.limit).execute();
  },

  async update(db: SalesDb, id: string, changes: Updateable<OpportunityTables['opportunity']>) {
    await db
      .updateTable('opportunity')
      .set((eb) => ({ ...changes, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
  },

  async addStageChange(db: SalesDb, change: StageChangeRow) {
    await db.insertInto('opportunity_stage_change').values(change).execute();
  },

  async historyOf(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return [];
    return db.selectFrom('opportunity_stage_change').selectAll().where('opportunity_id', 'in', [...ids]).orderBy('changed_at').orderBy('id').execute();
  },

  async contactsOf(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return [];
    return db.selectFrom('opportunity_contact').selectAll().where('opportunity_id', 'in', [...ids]).orderBy('contact_id').orderBy('role').execute();
  },

  async replaceContacts(db: SalesDb, id: string, contacts: readonly { contactId: string; role: BuyingRole }[]) {
    await db.deleteFrom('opportunity_contact').where('opportunity_id', '=', id).execute();
    if (contacts.length > 0) await db.insertInto('opportunity_contact').values(contacts.map((c) => ({ opportunity_id: id, contact_id: c.contactId, role: c.role }))).execute();
  },

  async moveCustomer(db: SalesDb, from: string, to: string) {
    await db.updateTable('opportunity').set({ customer_id: to }).where('customer_id', '=', from).execute();
  },

  /** The customers' opportunities go with their history and contacts (cascade). */
  async deleteOfCustomers(db: SalesDb, ids: readonly string[]) {
    if (ids.length > 0) await db.deleteFrom('opportunity').where('customer_id', 'in', [...ids]).execute();
  },

  async ofCustomers(db: SalesDb, ids: readonly string[], baseCurrency: string): Promise<OpportunityWithRate[]> {
    if (ids.length === 0) return [];
    return withRate(db, baseCurrency).where('opportunity.customer_id', 'in', [...ids]).orderBy('opportunity.created_at').execute();
  },
});
