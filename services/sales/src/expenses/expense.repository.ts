import { sql, type Insertable, type Selectable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { SalesScope } from '../ownership/ownership';
import { inScopeWhere } from '../ownership/ownership.repository';
import type { ExpenseClaimStatus, ExpenseTables } from './expense.tables';

export type ExpenseClaimRow = Selectable<ExpenseTables['expense_claim']>;
export type ExpenseItemRow = Selectable<ExpenseTables['expense_item']>;

/** Claims belong to their claimant only: no dealer or organisation ever owns one. */
const OWNERSHIP = { owner: 'expense_claim.claimant_subject' };

/** Every statement on expense claims. */
export const expenseRepository = Object.freeze({
  async insert(db: SalesDb, claim: Insertable<ExpenseTables['expense_claim']>, items: ExpenseItemRow[]) {
    const row = await db.insertInto('expense_claim').values(claim).returningAll().executeTakeFirstOrThrow();
    await db.insertInto('expense_item').values(items).execute();
    return row;
  },

  async find(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('expense_claim').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async itemsOf(db: SalesDb, claimIds: readonly string[]) {
    if (claimIds.length === 0) return [];
    return db.selectFrom('expense_item').selectAll().where('claim_id', 'in', [...claimIds]).orderBy('claim_id').orderBy('line_no').execute();
  },

  async list(db: SalesDb, scope: SalesScope, filter: { status?: ExpenseClaimStatus; claimantSubject?: string; before?: { at: Date; id: string }; limit: number }) {
    let query = db.selectFrom('expense_claim').selectAll().where(inScopeWhere(scope, OWNERSHIP));
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.claimantSubject) query = query.where('claimant_subject', '=', filter.claimantSubject);
    if (filter.before) query = query.where(sql<boolean>`(created_at, id) < (${filter.before.at}::timestamptz, ${filter.before.id}::uuid)`);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  },

  async replace(db: SalesDb, id: string, title: string, items: ExpenseItemRow[], at: Date) {
    await db.deleteFrom('expense_item').where('claim_id', '=', id).execute();
    await db.insertInto('expense_item').values(items).execute();
    return db
      .updateTable('expense_claim')
      .set((eb) => ({ title, updated_at: at, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async update(db: SalesDb, id: string, changes: Partial<Omit<ExpenseClaimRow, 'id' | 'version'>>) {
    return db
      .updateTable('expense_claim')
      .set((eb) => ({ ...changes, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Whether `manager` manages a team `member` is in. */
  async manages(db: SalesDb, manager: string, member: string): Promise<boolean> {
    const row = await db
      .selectFrom('sales_team_member as m')
      .innerJoin('sales_team_member as c', 'c.team_id', 'm.team_id')
      .select('m.team_id')
      .where('m.subject', '=', manager)
      .where('m.role', '=', 'manager')
      .where('c.subject', '=', member)
      .executeTakeFirst();
    return row !== undefined;
  },
});
