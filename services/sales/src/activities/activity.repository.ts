import { sql, type Insertable, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { SalesDatabase, SalesDb } from '../db/tables';
import type { SalesScope } from '../ownership/ownership';
import { inScopeWhere } from '../ownership/ownership.repository';
import type { ActivityKind, ActivityTables } from './activity.tables';

export type ActivityRow = Selectable<ActivityTables['activity']>;

const OWNERSHIP = { owner: 'activity.owner_subject', dealer: 'activity.dealer_id', customer: 'activity.customer_id' };

export interface ActivityFilter {
  targetKind?: string;
  targetId?: string;
  customerId?: string;
  ownerSubject?: string;
  kind?: string;
  status?: string;
}

/** Every statement on activities. */
export const activityRepository = Object.freeze({
  async insert(db: SalesDb, row: Insertable<ActivityTables['activity']>) {
    return db.insertInto('activity').values(row).returningAll().executeTakeFirstOrThrow();
  },

  async find(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('activity').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async update(db: SalesDb, id: string, changes: Partial<Omit<ActivityRow, 'id' | 'version'>>) {
    return db
      .updateTable('activity')
      .set((eb) => ({ ...changes, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async remove(db: SalesDb, id: string) {
    await db.deleteFrom('activity').where('id', '=', id).execute();
  },

  async list(db: SalesDb, scope: SalesScope, filter: ActivityFilter & { before?: { at: Date; id: string }; limit: number }) {
    let query = db.selectFrom('activity').selectAll().where(inScopeWhere(scope, OWNERSHIP));
    query = applyFilter(query, filter);
    if (filter.before) query = query.where(sql<boolean>`(created_at, id) < (${filter.before.at}::timestamptz, ${filter.before.id}::uuid)`);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  },

  /** Activities that may occur in [from, to): one-off ones due inside it, recurring ones that started before its end. */
  async dueWithin(db: SalesDb, scope: SalesScope, filter: ActivityFilter, from: Date, to: Date) {
    let query = db
      .selectFrom('activity')
      .selectAll()
      .where(inScopeWhere(scope, OWNERSHIP))
      .where((eb) => eb.or([eb.and([eb('rrule', 'is', null), eb('due_at', '>=', from), eb('due_at', '<', to)]), eb.and([eb('rrule', 'is not', null), eb('due_at', '<', to)])]));
    query = applyFilter(query, filter);
    return query.orderBy('due_at').orderBy('id').limit(5000).execute();
  },

  /** Open activities of one calendar owner (a rep's or a dealer's) that may occur in [from, to), for its free/busy. */
  async openOfOwner(db: SalesDb, owner: { ownerSubject?: string; dealerId?: string }, from: Date, to: Date) {
    let query = db
      .selectFrom('activity')
      .selectAll()
      .where('status', '=', 'open')
      .where((eb) => eb.or([eb.and([eb('rrule', 'is', null), eb('due_at', '<', to), sql<boolean>`due_at + make_interval(mins => coalesce(duration_minutes, 30)) > ${from}::timestamptz`]), eb.and([eb('rrule', 'is not', null), eb('due_at', '<', to)])]));
    query = owner.ownerSubject !== undefined ? query.where('owner_subject', '=', owner.ownerSubject) : query.where('dealer_id', '=', owner.dealerId!).where('owner_subject', 'is', null);
    return query.limit(5000).execute();
  },

  /** Completed activities per month (in `timeZone`) × rep or dealer × kind: one GROUP BY. */
  async countsByPeriod(db: SalesDb, scope: SalesScope, query: { fromMonth: string; toMonth: string; timeZone: string; groupBy: 'owner' | 'dealer'; kind?: ActivityKind }) {
    const local = sql`(completed_at at time zone ${query.timeZone})`;
    const owner = query.groupBy === 'owner' ? sql<string>`owner_subject` : sql<string>`dealer_id::text`;
    const period = sql<string>`to_char(completed_at at time zone ${query.timeZone}, 'YYYY-MM')`;
    let counts = db
      .selectFrom('activity')
      .select([period.as('period'), owner.as('owner'), 'kind', sql<string>`count(*)`.as('count')])
      .where(inScopeWhere(scope, OWNERSHIP))
      .where('status', '=', 'completed')
      .where(sql<boolean>`${local} >= ${`${query.fromMonth}-01`}::timestamp`)
      .where(sql<boolean>`${local} < ${`${query.toMonth}-01`}::timestamp + interval '1 month'`);
    if (query.groupBy === 'dealer') counts = counts.where('dealer_id', 'is not', null);
    else counts = counts.where('owner_subject', 'is not', null);
    if (query.kind) counts = counts.where('kind', '=', query.kind);
    return counts.groupBy([sql`1`, sql`2`, 'kind']).orderBy(sql`1`).orderBy(sql`2`).orderBy('kind').execute();
  },

  async moveCustomer(db: SalesDb, from: string, to: string) {
    await db.updateTable('activity').set({ customer_id: to }).where('customer_id', '=', from).execute();
    await db.updateTable('activity').set({ target_id: to }).where('target_kind', '=', 'customer').where('target_id', '=', from).execute();
  },

  /** Erasure: the activities go, and their bookings with them (on delete cascade). */
  async removeOfCustomers(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return;
    await db.deleteFrom('activity').where((eb) => eb.or([eb('customer_id', 'in', [...ids]), eb.and([eb('target_kind', '=', 'customer'), eb('target_id', 'in', [...ids])])])).execute();
  },

  async ofCustomers(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return [];
    return db.selectFrom('activity').selectAll().where('customer_id', 'in', [...ids]).orderBy('created_at').execute();
  },
});

function applyFilter(query: SelectQueryBuilder<SalesDatabase, 'activity', ActivityRow>, filter: ActivityFilter) {
  let q = query;
  if (filter.targetKind) q = q.where('target_kind', '=', filter.targetKind as ActivityRow['target_kind']);
  if (filter.targetId) q = q.where('target_id', '=', filter.targetId);
  if (filter.customerId) q = q.where('customer_id', '=', filter.customerId);
  if (filter.ownerSubject) q = q.where('owner_subject', '=', filter.ownerSubject);
  if (filter.kind) q = q.where('kind', '=', filter.kind as ActivityKind);
  if (filter.status) q = q.where('status', '=', filter.status as ActivityRow['status']);
  return q;
}
