import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const scoresSchema: Migration = {
  async up(db: Kysely<any>) {
    await sql`set local search_path to scoring, public`.execute(db);

    /** One row per scored customer: the columns the rule catalog (segments/rules/field.catalog.ts) reads. */
    await db.schema
      .createTable('customer_score')
      .addColumn('customer_id', 'uuid', (c) => c.primaryKey())
      .addColumn('recency', 'smallint')
      .addColumn('frequency', 'smallint')
      .addColumn('monetary', 'smallint')
      .addColumn('rfm_cell', 'text')
      .addColumn('revenue', 'numeric', (c) => c.notNull().defaultTo(0))
      .addColumn('order_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('first_purchase_at', 'timestamptz')
      .addColumn('last_purchase_at', 'timestamptz')
      .addColumn('average_order_value', 'numeric')
      .addColumn('tier', 'text')
      .addColumn('clv', 'numeric')
      .addColumn('expected_transactions', 'double precision')
      .addColumn('p_alive', 'double precision')
      .addColumn('expected_spend', 'numeric')
      .addColumn('needs_diversity', 'double precision')
      .addColumn('quadrant', 'text')
      .addColumn('scored_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await sql`create index customer_score_tier_idx on customer_score (tier)`.execute(db);

    /** Fitted CLV model versions; predictions use the active one. */
    await db.schema
      .createTable('clv_model')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('version', 'integer', (c) => c.notNull().unique())
      .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('calibration_end', 'date', (c) => c.notNull())
      .addColumn('time_unit', 'text', (c) => c.notNull().check(sql`time_unit in ('days', 'weeks')`))
      .addColumn('bg_nbd', 'jsonb', (c) => c.notNull())
      .addColumn('gamma_gamma', 'jsonb')
      .addColumn('log_likelihood', 'double precision', (c) => c.notNull())
      .addColumn('sample_size', 'integer', (c) => c.notNull())
      .addColumn('fitted_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await sql`create unique index clv_model_one_active_idx on clv_model (active) where active`.execute(db);

    /** Full recomputes: 202 + this resource with its progress. */
    await db.schema
      .createTable('scoring_run')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed')`))
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('step', 'text')
      .addColumn('customers_scored', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('started_at', 'timestamptz')
      .addColumn('finished_at', 'timestamptz')
      .execute();

    /** Admin-managed ordered tiers; `rule` is a range over one score field (tiers/tier-set.rules.ts). */
    await db.schema
      .createTable('tier')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('rank', 'integer', (c) => c.notNull().unique())
      .addColumn('rule', 'jsonb', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema
      .createTable('tier_history')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('customer_id', 'uuid', (c) => c.notNull())
      .addColumn('from_tier', 'text')
      .addColumn('to_tier', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await sql`create index tier_history_customer_idx on tier_history (customer_id, id desc)`.execute(db);
    await db.schema
      .createTable('tier_override')
      .addColumn('customer_id', 'uuid', (c) => c.primaryKey())
      .addColumn('tier', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();
    /** When a customer first qualified only for a lower tier: the downgrade waits out the grace period. */
    await db.schema
      .createTable('tier_downgrade_pending')
      .addColumn('customer_id', 'uuid', (c) => c.primaryKey())
      .addColumn('candidate_tier', 'text', (c) => c.notNull())
      .addColumn('since', 'timestamptz', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('segment')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('rule', 'jsonb', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('evaluated_at', 'timestamptz')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('segment_member')
      .addColumn('segment_id', 'uuid', (c) => c.notNull().references('segment.id').onDelete('cascade'))
      .addColumn('customer_id', 'uuid', (c) => c.notNull())
      .addColumn('entered_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('segment_member_pk', ['segment_id', 'customer_id'])
      .execute();
    await db.schema.createIndex('segment_member_customer_idx').on('segment_member').column('customer_id').execute();
  },

  async down(db: Kysely<any>) {
    for (const table of ['segment_member', 'segment', 'tier_downgrade_pending', 'tier_override', 'tier_history', 'tier', 'scoring_run', 'clv_model', 'customer_score']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
