import { sql, type Selectable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { SalesScope } from '../ownership/ownership';
import type { QuotaDimension, QuotaTables } from './quota.tables';

export type QuotaRow = Selectable<QuotaTables['quota']>;

/** Every statement on quotas. */
export const quotaRepository = Object.freeze({
  /** Sets the period's target for one owner, team, dealer or product line; a second set replaces the amount. */
  async upsert(db: SalesDb, quota: { id: string; period: string; dimension: QuotaDimension; target: string; amount: string; at: Date; by: string }) {
    return db
      .insertInto('quota')
      .values({ id: quota.id, period: quota.period, dimension: quota.dimension, target: quota.target, amount: quota.amount, set_at: quota.at, set_by: quota.by })
      .onConflict((oc) =>
        oc.columns(['period', 'dimension', 'target']).doUpdateSet((eb) => ({ amount: quota.amount, set_at: quota.at, set_by: quota.by, version: eb('quota.version', '+', 1) })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /**
   * Quotas the scope sees: all; a rep's or manager's (owner quotas of its visible reps, team quotas of
   * teams it is in); a dealer's own.
   */
  async list(db: SalesDb, scope: SalesScope, filter: { period?: string; dimension?: QuotaDimension; after?: string; limit: number }) {
    let query = db.selectFrom('quota').selectAll().orderBy('id').limit(filter.limit);
    if (filter.period) query = query.where('period', '=', filter.period);
    if (filter.dimension) query = query.where('dimension', '=', filter.dimension);
    if (filter.after) query = query.where('id', '>', filter.after);
    switch (scope.kind) {
      case 'all':
        break;
      case 'owners':
        query = query.where((eb) =>
          eb.or([
            eb.and([eb('dimension', '=', 'owner'), eb('target', 'in', scope.subjects.length > 0 ? scope.subjects : [''])]),
            eb.and([
              eb('dimension', '=', 'team'),
              eb('target', 'in', eb.selectFrom('sales_team_member').select(sql<string>`team_id::text`.as('team')).where('subject', 'in', scope.subjects.length > 0 ? scope.subjects : [''])),
            ]),
          ]),
        );
        break;
      case 'dealer':
        query = query.where('dimension', '=', 'dealer').where('target', '=', scope.dealerId);
        break;
      case 'account':
        query = query.where(sql<boolean>`false`);
    }
    return query.execute();
  },

  /** The teams `subject` manages, and every member of them. */
  async managedBy(db: SalesDb, subject: string): Promise<{ teams: string[]; members: string[] }> {
    const rows = await db
      .selectFrom('sales_team_member as me')
      .innerJoin('sales_team_member as member', 'member.team_id', 'me.team_id')
      .select(['me.team_id', 'member.subject'])
      .where('me.subject', '=', subject)
      .where('me.role', '=', 'manager')
      .execute();
    return { teams: [...new Set(rows.map((r) => r.team_id))], members: [...new Set(rows.map((r) => r.subject))] };
  },

  async teamExists(db: SalesDb, id: string): Promise<boolean> {
    return (await db.selectFrom('sales_team').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  },
});
