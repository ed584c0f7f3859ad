import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { CommissionTables } from './commission.tables';

export type PlanRow = Selectable<CommissionTables['commission_plan']>;
export type CommissionLineRow = Selectable<CommissionTables['commission_line']>;
export type NewCommissionLine = Insertable<CommissionTables['commission_line']>;

export const commissionRepository = Object.freeze({
  async insertPlan(db: SalesDb, row: Insertable<CommissionTables['commission_plan']>) {
    return db.insertInto('commission_plan').values(row).returningAll().executeTakeFirstOrThrow();
  },

  async findPlan(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('commission_plan').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async listPlans(db: SalesDb, page: { after?: string; limit: number }) {
    let query = db.selectFrom('commission_plan').selectAll().orderBy('id').limit(page.limit);
    if (page.after) query = query.where('id', '>', page.after);
    return query.execute();
  },

  async updatePlan(db: SalesDb, id: string, row: Updateable<CommissionTables['commission_plan']>) {
    return db
      .updateTable('commission_plan')
      .set((eb) => ({ ...row, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** The newest plan active on `date` naming the rep, and the newest naming the dealer (either may be absent). */
  async plansFor(db: SalesDb, at: { rep: string | null; dealerId: string | null; date: string }) {
    const active = (kind: 'rep' | 'dealer', payee: string) =>
      db
        .selectFrom('commission_plan')
        .selectAll()
        .where('valid_from', '<=', at.date)
        .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', at.date)]))
        .where(kind === 'rep' ? sql<boolean>`${payee} = any(reps)` : sql<boolean>`${payee}::uuid = any(dealers)`)
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
    return { rep: at.rep ? await active('rep', at.rep) : undefined, dealer: at.dealerId ? await active('dealer', at.dealerId) : undefined };
  },

  /** A payee's attainment so far in a period under a plan: the converted bases, net of clawbacks. */
  async attainment(db: SalesDb, at: { planId: string; payeeKind: 'rep' | 'dealer'; payee: string; period: string }) {
    const row = await db
      .selectFrom('commission_line')
      .select(sql<string>`coalesce(sum(base), 0)::text`.as('total'))
      .where('plan_id', '=', at.planId)
      .where('payee_kind', '=', at.payeeKind)
      .where('payee', '=', at.payee)
      .where('period', '=', at.period)
      .where('status', '=', 'converted')
      .executeTakeFirstOrThrow();
    return row.total;
  },

  /** One statement for all of an order's (or a return's) commission lines. */
  async insertLines(db: SalesDb, lines: readonly NewCommissionLine[]) {
    if (lines.length === 0) return;
    await db.insertInto('commission_line').values([...lines]).execute();
  },

  async accrualsOf(db: SalesDb, orderId: string) {
    return db.selectFrom('commission_line').selectAll().where('order_id', '=', orderId).where('kind', '=', 'accrual').orderBy('order_line_no').orderBy('tier').execute();
  },

  async statement(db: SalesDb, at: { payeeKind: 'rep' | 'dealer'; payee: string; period: string }) {
    return db
      .selectFrom('commission_line')
      .selectAll()
      .where('payee_kind', '=', at.payeeKind)
      .where('payee', '=', at.payee)
      .where('period', '=', at.period)
      .orderBy('booked_at')
      .orderBy('order_id')
      .orderBy('order_line_no')
      .orderBy('kind')
      .orderBy('tier')
      .execute();
  },
});
