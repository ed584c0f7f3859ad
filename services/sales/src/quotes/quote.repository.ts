import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { SalesScope } from '../ownership/ownership';
import { inScopeWhere } from '../ownership/ownership.repository';
import type { QuoteTables } from './quote.tables';

export type QuoteRow = Selectable<QuoteTables['quote']>;
export type QuoteVersionRow = Selectable<QuoteTables['quote_version']>;
export type QuoteApprovalRow = Selectable<QuoteTables['quote_approval']>;
export type ApprovalRuleRow = Selectable<QuoteTables['quote_approval_rule']>;
export type ApprovalPolicyRow = Selectable<QuoteTables['customer_approval_policy']>;

const OWNERSHIP = { owner: 'quote.owner_subject', dealer: 'quote.dealer_id', customer: 'quote.customer_id' };

export const quoteRepository = Object.freeze({
  async insert(db: SalesDb, quote: Insertable<QuoteTables['quote']>, version: Insertable<QuoteTables['quote_version']>) {
    const row = await db.insertInto('quote').values(quote).returningAll().executeTakeFirstOrThrow();
    await db.insertInto('quote_version').values(version).execute();
    return row;
  },

  async find(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('quote').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  /** `status` is the status as read today: a quote whose validity ran out counts as expired before it is recorded so. */
  async list(
    db: SalesDb,
    scope: SalesScope,
    filter: {
      /** The inbox: quotes whose current step is one of these, in scope, or (staff) any without an owning rep. */
      awaiting?: { steps: string[]; teamlessToo: boolean };
      customerId?: string;
      status?: QuoteRow['status'];
      expirable: readonly QuoteRow['status'][];
      today: string;
      before?: { at: Date; id: string };
      limit: number;
    },
  ) {
    let query = db.selectFrom('quote').selectAll();
    if (filter.awaiting) {
      const visible = filter.awaiting.teamlessToo ? sql<boolean>`(owner_subject is null or ${inScopeWhere(scope, OWNERSHIP)})` : inScopeWhere(scope, OWNERSHIP);
      query = query.where(sql<boolean>`(status = 'pending_approval' and approval_chain[approval_step] = any(${filter.awaiting.steps}::text[]) and ${visible})`);
    } else {
      query = query.where(inScopeWhere(scope, OWNERSHIP));
    }
    if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
    const lapsed = sql<boolean>`(status = any(${filter.expirable}::text[]) and valid_until < ${filter.today}::date)`;
    if (filter.status === 'expired') query = query.where(sql<boolean>`(status = 'expired' or ${lapsed})`);
    else if (filter.status) query = query.where('status', '=', filter.status).where(sql<boolean>`not ${lapsed}`);
    if (filter.before) query = query.where(sql<boolean>`(created_at, id) < (${filter.before.at}::timestamptz, ${filter.before.id}::uuid)`);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  },

  async update(db: SalesDb, id: string, changes: Updateable<QuoteTables['quote']>) {
    return db
      .updateTable('quote')
      .set((eb) => ({ ...changes, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async insertVersion(db: SalesDb, version: Insertable<QuoteTables['quote_version']>) {
    await db.insertInto('quote_version').values(version).execute();
  },

  /** The current version of each quote, in one statement. */
  async currentVersions(db: SalesDb, quotes: readonly Pick<QuoteRow, 'id' | 'current_version'>[]) {
    if (quotes.length === 0) return [];
    return db
      .selectFrom('quote_version')
      .selectAll()
      .where(sql<boolean>`(quote_id, version) in (select * from unnest(${quotes.map((q) => q.id)}::uuid[], ${quotes.map((q) => q.current_version)}::int[]))`)
      .execute();
  },

  async versionsOf(db: SalesDb, quoteId: string) {
    return db.selectFrom('quote_version').selectAll().where('quote_id', '=', quoteId).orderBy('version').execute();
  },

  async approvalsOf(db: SalesDb, quoteIds: readonly string[]) {
    if (quoteIds.length === 0) return [];
    return db.selectFrom('quote_approval').selectAll().where('quote_id', 'in', [...quoteIds]).orderBy('decided_at').orderBy('step').execute();
  },

  async insertApproval(db: SalesDb, row: Insertable<QuoteTables['quote_approval']>) {
    await db.insertInto('quote_approval').values(row).execute();
  },

  async insertRule(db: SalesDb, row: Insertable<QuoteTables['quote_approval_rule']>) {
    return db.insertInto('quote_approval_rule').values(row).returningAll().executeTakeFirstOrThrow();
  },

  async findRule(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('quote_approval_rule').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async listRules(db: SalesDb, filter: { activeOnly?: boolean } = {}) {
    let query = db.selectFrom('quote_approval_rule').selectAll();
    if (filter.activeOnly) query = query.where('active', '=', true);
    return query.orderBy('position').orderBy('created_at').execute();
  },

  async updateRule(db: SalesDb, id: string, row: Updateable<QuoteTables['quote_approval_rule']>) {
    return db
      .updateTable('quote_approval_rule')
      .set((eb) => ({ ...row, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async findPolicy(db: SalesDb, customerId: string) {
    return db.selectFrom('customer_approval_policy').selectAll().where('customer_id', '=', customerId).executeTakeFirst();
  },

  async putPolicy(db: SalesDb, row: Insertable<QuoteTables['customer_approval_policy']>) {
    return db
      .insertInto('customer_approval_policy')
      .values(row)
      .onConflict((oc) => oc.column('customer_id').doUpdateSet({ account_approval_above: row.account_approval_above, currency: row.currency, updated_at: row.updated_at }))
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Merge: the duplicate's quotes are the survivor's; its policy too unless the survivor has one. */
  async moveCustomer(db: SalesDb, from: string, to: string) {
    await db.updateTable('quote').set({ customer_id: to }).where('customer_id', '=', from).execute();
    await sql`update sales.customer_approval_policy set customer_id = ${to}::uuid
      where customer_id = ${from}::uuid and not exists (select 1 from sales.customer_approval_policy where customer_id = ${to}::uuid)`.execute(db);
    await db.deleteFrom('customer_approval_policy').where('customer_id', '=', from).execute();
  },

  /** Erasure: the quotes go with their versions and approval decisions (cascade), and the policy. */
  async deleteForCustomers(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return;
    await db.deleteFrom('quote').where('customer_id', 'in', [...ids]).execute();
    await db.deleteFrom('customer_approval_policy').where('customer_id', 'in', [...ids]).execute();
  },

  async ofCustomers(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return [];
    return db.selectFrom('quote').selectAll().where('customer_id', 'in', [...ids]).orderBy('created_at').execute();
  },
});
