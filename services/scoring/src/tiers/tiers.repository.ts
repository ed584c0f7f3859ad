import { sql, type Selectable } from 'kysely';
import type { ScoringDb, TierHistoryTable } from '../db/tables';
import type { TierCondition, TierDefinition } from './tier-set.rules';

export type TierHistoryRow = Selectable<TierHistoryTable>;

/** A manual tier as stored: it wins over the rules until `expires_at`. */
export interface TierOverrideWrite {
  customer_id: string;
  tier: string;
  reason: string;
  expires_at: string | null;
  created_by: string;
  created_at: string;
}

/** The tier set (`tier`), manual overrides (`tier_override`) and the tier history of customers. */
export const tiersRepository = Object.freeze({
  /** The stored tier set by rank (top first), each with its row version. */
  async readTierSet(db: ScoringDb): Promise<{ name: string; rank: number; rule: TierCondition; version: number }[]> {
    const rows = await db.selectFrom('tier').select(['name', 'rank', 'rule', 'version']).orderBy('rank').execute();
    return rows.map((row) => ({ name: row.name, rank: row.rank, rule: row.rule as TierCondition, version: row.version }));
  },

  /** Writes these tiers when the tier table is empty, never otherwise; a concurrent seeder's rows conflict and are skipped. */
  async seedIfEmpty(db: ScoringDb, tiers: readonly TierDefinition[]): Promise<void> {
    const rows = tiers.map(({ name, rank, rule }) => ({ name, rank, rule }));
    await sql`
      insert into scoring.tier (name, rank, rule, version)
      select t.name, t.rank, t.rule, 1 from jsonb_to_recordset(cast(${JSON.stringify(rows)} as jsonb)) as t(name text, rank integer, rule jsonb)
      where not exists (select 1 from scoring.tier)
      on conflict do nothing`.execute(db);
  },

  /** Writers of the tier set queue up here; plain reads go on (EXCLUSIVE still admits ACCESS SHARE). */
  async lockForReplace(trx: ScoringDb): Promise<void> {
    await sql`lock table scoring.tier in exclusive mode`.execute(trx);
  },

  /** The whole set becomes `tiers`, every row at `version`. */
  async replaceAll(trx: ScoringDb, tiers: readonly TierDefinition[], version: number): Promise<void> {
    await trx.deleteFrom('tier').execute();
    await trx
      .insertInto('tier')
      .values(tiers.map(({ name, rank, rule }) => ({ name, rank, rule: JSON.stringify(rule), version })))
      .execute();
  },

  /** How many customers have a manual override to each of these tiers (only tiers with any), by tier name. */
  async overrideCounts(db: ScoringDb, tiers: readonly string[]): Promise<{ tier: string; customers: string }[]> {
    if (tiers.length === 0) return [];
    return db
      .selectFrom('tier_override')
      .select(['tier', (eb) => eb.fn.countAll<string>().as('customers')])
      .where('tier', 'in', [...tiers])
      .groupBy('tier')
      .orderBy('tier')
      .execute();
  },

  /** Whether scoring knows the customer: in the projection, or with a score row. */
  async isKnownCustomer(db: ScoringDb, customerId: string): Promise<boolean> {
    const known = await sql<{ known: boolean }>`
      select exists (select 1 from scoring.customer where id = ${customerId})
          or exists (select 1 from scoring.customer_score where customer_id = ${customerId}) as known`.execute(db);
    return known.rows[0]?.known === true;
  },

  /** An empty score row to carry a tier (defaults for everything else: the next scoring run fills in the scores). */
  async ensureScoreRow(trx: ScoringDb, customerId: string, at: string): Promise<void> {
    await sql`insert into scoring.customer_score (customer_id, scored_at) values (${customerId}, cast(${at} as timestamptz)) on conflict (customer_id) do nothing`.execute(trx);
  },

  async upsertOverride(trx: ScoringDb, row: TierOverrideWrite): Promise<void> {
    await trx
      .insertInto('tier_override')
      .values(row)
      .onConflict((oc) => oc.column('customer_id').doUpdateSet({ tier: row.tier, reason: row.reason, expires_at: row.expires_at, created_by: row.created_by, created_at: row.created_at }))
      .execute();
  },

  /** The override expires `at`; false when the customer has none. */
  async expireOverride(trx: ScoringDb, customerId: string, at: string): Promise<boolean> {
    const ended = await trx.updateTable('tier_override').set({ expires_at: at }).where('customer_id', '=', customerId).executeTakeFirst();
    return ended.numUpdatedRows > 0n;
  },

  async currentTier(db: ScoringDb, customerId: string): Promise<string | null> {
    return (await db.selectFrom('customer_score').select('tier').where('customer_id', '=', customerId).executeTakeFirst())?.tier ?? null;
  },

  /** A customer's tier changes, newest first (ids rise with time), before the id `beforeId`. */
  async history(db: ScoringDb, customerId: string, beforeId: string | undefined, limit: number): Promise<TierHistoryRow[]> {
    let query = db.selectFrom('tier_history').selectAll().where('customer_id', '=', customerId);
    if (beforeId) query = query.where('id', '<', beforeId);
    return query.orderBy('id', 'desc').limit(limit).execute();
  },
});
