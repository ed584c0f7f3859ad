import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { SalesScope } from '../ownership/ownership';
import { inScopeWhere } from '../ownership/ownership.repository';
import { OPEN_LEAD_STATUSES, type LeadTables } from './lead.tables';

export type LeadRow = Selectable<LeadTables['lead']>;
export type NewLeadRow = Required<Omit<Insertable<LeadTables['lead']>, 'version' | 'passed_dealer_ids'>>;
export type TouchRow = Selectable<LeadTables['lead_touch']>;
export type RoutingRow = Selectable<LeadTables['lead_routing']>;
export type RatingRuleRow = Selectable<LeadTables['lead_rating_rule']>;
export type AssignmentRuleRow = Selectable<LeadTables['lead_assignment_rule']> & { team_name: string | null };

const OWNERSHIP = { owner: 'lead.owner_subject', dealer: 'lead.dealer_id', customer: 'lead.customer_id' };
const OPEN = [...OPEN_LEAD_STATUSES];
/** One JSON parameter for many rows: a fixed-size statement whatever the batch size (no 65,535-parameter limit). */
const jsonb = (rows: readonly object[]) => sql`${JSON.stringify(rows)}::jsonb`;
const asText = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : JSON.stringify(value);
};

/**
 * Many rows in one statement, one array parameter per column unnested: as cheap to bind as it gets
 * (a large JSON parameter costs more to parse than the insert itself) and no limit on the row count.
 */
async function insertUnnested(db: SalesDb, table: string, columns: Record<string, string>, rows: readonly Record<string, unknown>[]) {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  // Every column travels as text[] and is cast in the select: drivers serialise typed arrays differently
  // (embedded PGlite refuses a boolean[] of text), text they all pass through.
  const arrays = names.map((name) => sql`${rows.map((row) => asText(row[name]))}::text[]`);
  const casts = names.map((name, i) => sql`${sql.ref(`u.c${i}`)}::${sql.raw(columns[name]!)}`);
  const aliases = sql.raw(names.map((_, i) => `c${i}`).join(', '));
  await sql`insert into ${sql.raw(`sales.${table}`)} (${sql.join(names.map((name) => sql.ref(name)))})
    select ${sql.join(casts)} from unnest(${sql.join(arrays)}) as u(${aliases})`.execute(db);
}

const LEAD_COLUMNS: Record<string, string> = {
  id: 'uuid', status: 'text', channel: 'text', source: 'text', campaign_ref: 'text', name: 'text', email: 'text', phone: 'text', email_digest: 'text', phone_digest: 'text', province: 'text', city: 'text',
  product_line: 'text', model_of_interest: 'text', purchase_timeframe: 'text', budget_amount: 'numeric', budget_currency: 'text', test_drive_requested: 'boolean',
  notes: 'text', customer_id: 'uuid', rating: 'text', rating_rule_id: 'uuid', dealer_id: 'uuid', owner_subject: 'text', assignment_rule_id: 'uuid',
  assigned_at: 'timestamptz', sla_due_at: 'timestamptz', sla_breached_at: 'timestamptz', accepted_at: 'timestamptz', first_contact_at: 'timestamptz',
  closed_at: 'timestamptz', disqualify_reason: 'text', opportunity_id: 'uuid', captured_by: 'text', created_at: 'timestamptz', updated_at: 'timestamptz',
};
const TOUCH_COLUMNS: Record<string, string> = { id: 'uuid', lead_id: 'uuid', channel: 'text', source: 'text', campaign_ref: 'text', matched_on: 'text', notes: 'text', at: 'timestamptz', by: 'text' };
const FIRST_STEP_COLUMNS: Record<string, string> = { lead_id: 'uuid', seq: 'integer', rule_id: 'uuid', rule_name: 'text', reason: 'text', dealer_id: 'uuid', owner_subject: 'text', cause: 'text', at: 'timestamptz' };

export const leadRepository = Object.freeze({
  // ---- rules -------------------------------------------------------------------------------------
  async insertRatingRule(db: SalesDb, row: Insertable<LeadTables['lead_rating_rule']>) {
    return db.insertInto('lead_rating_rule').values(row).returningAll().executeTakeFirstOrThrow();
  },
  async findRatingRule(db: SalesDb, id: string, forUpdate = false) {
    let query = db.selectFrom('lead_rating_rule').selectAll().where('id', '=', id);
    if (forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },
  async listRatingRules(db: SalesDb, options: { activeOnly?: boolean } = {}) {
    let query = db.selectFrom('lead_rating_rule').selectAll();
    if (options.activeOnly) query = query.where('active', '=', true);
    return query.orderBy('position').orderBy('id').execute();
  },
  async updateRatingRule(db: SalesDb, id: string, changes: Updateable<LeadTables['lead_rating_rule']>) {
    return db.updateTable('lead_rating_rule').set((eb) => ({ ...changes, version: eb('version', '+', 1) })).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  },
  async deleteRatingRule(db: SalesDb, id: string) {
    return (await db.deleteFrom('lead_rating_rule').where('id', '=', id).executeTakeFirst()).numDeletedRows > 0n;
  },

  async insertAssignmentRule(db: SalesDb, row: Insertable<LeadTables['lead_assignment_rule']>) {
    await db.insertInto('lead_assignment_rule').values(row).execute();
    return (await leadRepository.findAssignmentRule(db, row.id))!;
  },
  async findAssignmentRule(db: SalesDb, id: string, forUpdate = false): Promise<AssignmentRuleRow | undefined> {
    let query = db
      .selectFrom('lead_assignment_rule as r')
      .leftJoin('sales_team as t', 't.id', 'r.team_id')
      .selectAll('r')
      .select('t.name as team_name')
      .where('r.id', '=', id);
    if (forUpdate) query = query.forUpdate('r');
    return query.executeTakeFirst();
  },
  async listAssignmentRules(db: SalesDb, options: { activeOnly?: boolean } = {}): Promise<AssignmentRuleRow[]> {
    let query = db.selectFrom('lead_assignment_rule as r').leftJoin('sales_team as t', 't.id', 'r.team_id').selectAll('r').select('t.name as team_name');
    if (options.activeOnly) query = query.where('r.active', '=', true);
    return query.orderBy('r.position').orderBy('r.id').execute();
  },
  async updateAssignmentRule(db: SalesDb, id: string, changes: Updateable<LeadTables['lead_assignment_rule']>) {
    await db.updateTable('lead_assignment_rule').set((eb) => ({ ...changes, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    return (await leadRepository.findAssignmentRule(db, id))!;
  },
  async deleteAssignmentRule(db: SalesDb, id: string) {
    return (await db.deleteFrom('lead_assignment_rule').where('id', '=', id).executeTakeFirst()).numDeletedRows > 0n;
  },
  async teamExists(db: SalesDb, id: string) {
    return (await db.selectFrom('sales_team').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  },

  /**
   * The reps of these teams with their round-robin state and open leads, locked until the transaction
   * ends: concurrent batches take turns one after the other instead of handing out the same turn twice.
   */
  async repsOf(db: SalesDb, teamIds: readonly string[]) {
    if (teamIds.length === 0) return [];
    const { rows } = await sql<{ team_id: string; subject: string; capacity: number | null; last_assigned_at: Date | null; open: string }>`
      select m.team_id, m.subject, m.capacity, m.last_assigned_at,
        (select count(*) from sales.lead l where l.owner_subject = m.subject and l.status = any(${OPEN}::text[])) as open
      from sales.sales_team_member m
      where m.team_id = any(${[...teamIds]}::uuid[]) and m.role = 'rep'
      order by m.team_id, m.subject
      for update of m`.execute(db);
    return rows.map((row) => ({ ...row, open: Number(row.open) }));
  },

  /** Advances the round-robin turns of the reps a batch assigned to, in one statement. */
  async advanceTurns(db: SalesDb, turns: readonly { team_id: string; subject: string; at: string }[]) {
    if (turns.length === 0) return;
    await sql`
      update sales.sales_team_member m set last_assigned_at = t.at
      from jsonb_to_recordset(${jsonb(turns)}) as t(team_id uuid, subject text, at timestamptz)
      where m.team_id = t.team_id and m.subject = t.subject`.execute(db);
  },

  // ---- leads -------------------------------------------------------------------------------------
  /**
   * Serialises captures of the same e-mails and phones until the transaction ends, so two concurrent
   * captures of one person cannot both miss each other and make two leads. The values are hashed into
   * 256 buckets (a bounded number of locks whatever the batch size), taken in order (no deadlock).
   */
  async lockContacts(db: SalesDb, values: readonly string[]) {
    if (values.length === 0) return;
    await sql`
      select pg_advisory_xact_lock(hashtextextended('sales.lead-contact', b.bucket))
      from (select distinct (hashtextextended(v, 0) & 255) as bucket from unnest(${[...values]}::text[]) as v order by 1) as b`.execute(db);
  },

  /** Open leads in `scope` holding one of these e-mails or phones (one query for a whole batch). */
  async openByContact(db: SalesDb, scope: SalesScope, emails: readonly string[], phones: readonly string[]) {
    if (emails.length === 0 && phones.length === 0) return [];
    return db
      .selectFrom('lead')
      .select(['id', 'email', 'phone', 'created_at'])
      .where('status', 'in', OPEN)
      .where(inScopeWhere(scope, OWNERSHIP))
      .where((eb) => eb.or([eb('email', '=', sql<string>`any(${[...emails]}::text[])`), eb('phone', '=', sql<string>`any(${[...phones]}::text[])`)]))
      .orderBy('created_at')
      .execute();
  },

  /** Many new leads in one statement (nothing passed over yet, version 1). */
  async insertLeads(db: SalesDb, rows: readonly NewLeadRow[]) {
    await insertUnnested(db, 'lead', LEAD_COLUMNS, rows);
  },
  async insertTouches(db: SalesDb, rows: readonly Insertable<LeadTables['lead_touch']>[]) {
    await insertUnnested(db, 'lead_touch', TOUCH_COLUMNS, rows);
  },
  /** The first routing step of many new leads, in one statement. */
  async insertFirstSteps(db: SalesDb, rows: readonly Omit<Insertable<LeadTables['lead_routing']>, 'seq'>[]) {
    await insertUnnested(db, 'lead_routing', FIRST_STEP_COLUMNS, rows.map((row) => ({ ...row, seq: 1 })));
  },
  /** Routing steps of leads that have some already; `seq` follows the lead's last one. */
  async appendRouting(db: SalesDb, rows: readonly Omit<Insertable<LeadTables['lead_routing']>, 'seq'>[]) {
    if (rows.length === 0) return;
    await sql`
      insert into sales.lead_routing (lead_id, seq, rule_id, rule_name, reason, dealer_id, owner_subject, cause, at)
      select r.lead_id, coalesce((select max(seq) from sales.lead_routing x where x.lead_id = r.lead_id), 0) + row_number() over (partition by r.lead_id order by r.n),
        r.rule_id, r.rule_name, r.reason, r.dealer_id, r.owner_subject, r.cause, r.at
      from jsonb_to_recordset(${jsonb(rows.map((row, n) => ({ ...row, n })))})
        as r(lead_id uuid, rule_id uuid, rule_name text, reason text, dealer_id uuid, owner_subject text, cause text, at timestamptz, n integer)`.execute(db);
  },
  /** Notes what the current placement's dealer or rep did (accepted, rejected, breached, contacted). */
  async markPlacement(db: SalesDb, leadId: string, outcome: 'accepted_at' | 'rejected_at' | 'breached_at' | 'contacted_at', at: Date) {
    await sql`
      update sales.lead_routing set ${sql.ref(outcome)} = coalesce(${sql.ref(outcome)}, ${at}::timestamptz)
      where lead_id = ${leadId}::uuid and seq = (select max(seq) from sales.lead_routing where lead_id = ${leadId}::uuid)`.execute(db);
  },

  async find(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('lead').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },
  async findMany(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return [];
    return db.selectFrom('lead').selectAll().where('id', 'in', [...ids]).execute();
  },
  async list(
    db: SalesDb,
    scope: SalesScope,
    filter: { status?: string; rating?: string; dealerId?: string; ownerSubject?: string; channel?: string; createdFrom?: Date; createdTo?: Date; before?: { at: Date; id: string }; limit: number },
  ) {
    let query = db.selectFrom('lead').selectAll().where(inScopeWhere(scope, OWNERSHIP));
    if (filter.status) query = query.where('status', '=', filter.status as LeadRow['status']);
    if (filter.rating) query = query.where('rating', '=', filter.rating as LeadRow['rating']);
    if (filter.dealerId) query = query.where('dealer_id', '=', filter.dealerId);
    if (filter.ownerSubject) query = query.where('owner_subject', '=', filter.ownerSubject);
    if (filter.channel) query = query.where('channel', '=', filter.channel);
    if (filter.createdFrom) query = query.where('created_at', '>=', filter.createdFrom);
    if (filter.createdTo) query = query.where('created_at', '<', filter.createdTo);
    if (filter.before) query = query.where(sql<boolean>`(created_at, id) < (${filter.before.at}::timestamptz, ${filter.before.id}::uuid)`);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  },
  async routingOf(db: SalesDb, leadId: string) {
    return db.selectFrom('lead_routing').selectAll().where('lead_id', '=', leadId).orderBy('seq').execute();
  },
  async touchesOf(db: SalesDb, leadId: string) {
    return db.selectFrom('lead_touch').selectAll().where('lead_id', '=', leadId).orderBy('at').orderBy('id').execute();
  },
  async update(db: SalesDb, id: string, changes: Updateable<LeadTables['lead']>) {
    return db.updateTable('lead').set((eb) => ({ ...changes, version: eb('version', '+', 1) })).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  },
  /** First contact, once: the first one recorded wins. Returns the lead when this call recorded it. */
  async recordFirstContact(db: SalesDb, id: string, at: Date, now: Date) {
    return db
      .updateTable('lead')
      .set((eb) => ({
        first_contact_at: at,
        status: sql<LeadRow['status']>`case when status in ('queued', 'assigned', 'accepted') then 'contacted' else status end`,
        updated_at: now,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .where('first_contact_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  },

  /** Leads past their first-contact due time, not yet contacted nor flagged; other checkers skip the locked ones. */
  async dueForBreach(db: SalesDb, now: Date, limit: number) {
    return db
      .selectFrom('lead')
      .selectAll()
      .where('status', 'in', ['assigned', 'accepted'])
      .where('first_contact_at', 'is', null)
      .where('sla_breached_at', 'is', null)
      .where('sla_due_at', '<=', now)
      .orderBy('sla_due_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
  },

  // ---- reports -----------------------------------------------------------------------------------
  async hotLeads(db: SalesDb, scope: SalesScope, filter: { dealerId?: string; createdBefore: Date; limit: number }) {
    let query = db
      .selectFrom('lead')
      .selectAll()
      .where(inScopeWhere(scope, OWNERSHIP))
      .where('rating', '=', 'hot')
      .where('status', 'in', ['assigned', 'accepted', 'contacted'])
      .where('created_at', '<', filter.createdBefore);
    if (filter.dealerId) query = query.where('dealer_id', '=', filter.dealerId);
    return query.orderBy('dealer_id').orderBy('created_at').limit(filter.limit).execute();
  },
  /** Per dealer, over the placements made in [from, to): set-based, one statement. */
  async responseByDealer(db: SalesDb, scope: SalesScope, from: Date, to: Date) {
    const { rows } = await sql<{ dealer_id: string | null; assigned: string; accepted: string; rejected: string; contacted: string; median_hours: string | null; avg_hours: string | null; breaches: string }>`
      select r.dealer_id,
        count(*) as assigned,
        count(r.accepted_at) as accepted,
        count(r.rejected_at) as rejected,
        count(r.contacted_at) as contacted,
        percentile_cont(0.5) within group (order by extract(epoch from r.contacted_at - r.at) / 3600) filter (where r.contacted_at is not null) as median_hours,
        avg(extract(epoch from r.contacted_at - r.at) / 3600) filter (where r.contacted_at is not null) as avg_hours,
        count(r.breached_at) as breaches
      from sales.lead_routing r
      where r.at >= ${from}::timestamptz and r.at < ${to}::timestamptz and r.dealer_id is not null
        and ${inScopeWhere(scope, { owner: 'r.owner_subject', dealer: 'r.dealer_id' })}
      group by r.dealer_id
      order by r.dealer_id`.execute(db);
    return rows;
  },

  // ---- customer lifecycle ------------------------------------------------------------------------
  async moveCustomer(db: SalesDb, from: string, to: string) {
    await db.updateTable('lead').set({ customer_id: to }).where('customer_id', '=', from).execute();
  },
  /** The leads about erased people go, with their touches and routing history (cascade). */
  /** The leads of these customers, and those held under their contact points' digests; their ids. */
  async deleteOfCustomers(db: SalesDb, ids: readonly string[], contactDigests: readonly string[]): Promise<string[]> {
    if (ids.length === 0 && contactDigests.length === 0) return [];
    const deleted = await db
      .deleteFrom('lead')
      .where((eb) =>
        eb.or([
          eb('customer_id', '=', sql<string>`any(${[...ids]}::uuid[])`),
          eb('email_digest', '=', sql<string>`any(${[...contactDigests]}::text[])`),
          eb('phone_digest', '=', sql<string>`any(${[...contactDigests]}::text[])`),
        ]),
      )
      .returning('id')
      .execute();
    return deleted.map((row) => row.id);
  },
  async ofCustomers(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return [];
    return db.selectFrom('lead').selectAll().where('customer_id', 'in', [...ids]).orderBy('created_at').execute();
  },
});
