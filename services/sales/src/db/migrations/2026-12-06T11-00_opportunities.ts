import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const opportunities: Migration = {
  async up(db: Kysely<any>) {
    // Scoring's rates as it announces them: units of `base_currency` per one unit of `currency`.
    await sql`create table sales.exchange_rate (
      base_currency text not null,
      currency text not null,
      rate numeric not null check (rate > 0),
      version integer not null,
      set_at timestamptz not null,
      primary key (base_currency, currency))`.execute(db);

    await sql`create table sales.pipeline (
      id uuid primary key,
      name text not null,
      channel text not null check (channel in ('direct', 'dealer', 'agent', 'phone', 'web')),
      is_default boolean not null,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null)`.execute(db);
    await sql`create unique index pipeline_default_per_channel on sales.pipeline (channel) where is_default`.execute(db);
    await sql`create table sales.pipeline_stage (
      pipeline_id uuid not null references sales.pipeline (id) on delete cascade,
      key text not null,
      name text not null,
      position integer not null,
      kind text not null check (kind in ('open', 'won', 'lost')),
      probability integer not null check (probability between 0 and 100),
      forecast_category text not null check (forecast_category in ('pipeline', 'best_case', 'commit', 'closed', 'omitted')),
      primary key (pipeline_id, key))`.execute(db);

    await sql`create table sales.opportunity (
      id uuid primary key,
      customer_id uuid not null,
      name text not null,
      pipeline_id uuid not null references sales.pipeline (id),
      stage_key text not null,
      status text not null check (status in ('open', 'won', 'lost')),
      probability integer not null,
      forecast_category text not null,
      amount numeric,
      currency text,
      close_date date not null,
      owner_subject text,
      dealer_id uuid,
      product_line text,
      lead_id uuid,
      close_reason text,
      competitor text,
      closed_at timestamptz,
      created_at timestamptz not null,
      created_by text not null,
      updated_at timestamptz not null,
      version integer not null default 1,
      foreign key (pipeline_id, stage_key) references sales.pipeline_stage (pipeline_id, key),
      check ((amount is null) = (currency is null)))`.execute(db);
    await sql`create index opportunity_customer_idx on sales.opportunity (customer_id)`.execute(db);
    await sql`create index opportunity_owner_idx on sales.opportunity (owner_subject, close_date)`.execute(db);
    await sql`create index opportunity_dealer_idx on sales.opportunity (dealer_id, close_date)`.execute(db);
    await sql`create index opportunity_close_date_idx on sales.opportunity (close_date)`.execute(db);
    await sql`create unique index opportunity_lead_idx on sales.opportunity (lead_id) where lead_id is not null`.execute(db);
    await sql`create table sales.opportunity_stage_change (
      id uuid primary key,
      opportunity_id uuid not null references sales.opportunity (id) on delete cascade,
      from_stage text,
      to_stage text not null,
      changed_by text not null,
      changed_at timestamptz not null)`.execute(db);
    await sql`create index opportunity_stage_change_idx on sales.opportunity_stage_change (opportunity_id, changed_at)`.execute(db);
    await sql`create table sales.opportunity_contact (
      opportunity_id uuid not null references sales.opportunity (id) on delete cascade,
      contact_id uuid not null,
      role text not null check (role in ('decision_maker', 'influencer', 'purchaser', 'user', 'approver')),
      primary key (opportunity_id, contact_id, role))`.execute(db);

    await sql`create table sales.quota (
      id uuid primary key,
      period text not null,
      dimension text not null check (dimension in ('owner', 'team', 'dealer', 'productLine')),
      target text not null,
      amount numeric not null check (amount >= 0),
      version integer not null default 1,
      set_at timestamptz not null,
      set_by text not null,
      unique (period, dimension, target))`.execute(db);

    // A snapshot keeps the forecast's finest cells (owner × dealer × product line × status × category),
    // already in the base currency, so any grouping and any caller's scope can be answered from it later.
    await sql`create table sales.forecast_snapshot (
      id uuid primary key,
      period text not null,
      kind text not null check (kind in ('manual', 'weekly')),
      as_of date not null,
      taken_at timestamptz not null,
      taken_by text not null)`.execute(db);
    await sql`create index forecast_snapshot_period_idx on sales.forecast_snapshot (period, as_of desc, taken_at desc)`.execute(db);
    await sql`create unique index forecast_snapshot_weekly_idx on sales.forecast_snapshot (period, as_of) where kind = 'weekly'`.execute(db);
    await sql`create table sales.forecast_snapshot_cell (
      snapshot_id uuid not null references sales.forecast_snapshot (id) on delete cascade,
      owner_subject text,
      dealer_id uuid,
      product_line text,
      status text not null,
      forecast_category text not null,
      amount numeric not null,
      weighted numeric not null,
      opportunities integer not null,
      unconverted integer not null)`.execute(db);
    await sql`create index forecast_snapshot_cell_idx on sales.forecast_snapshot_cell (snapshot_id)`.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const table of ['forecast_snapshot_cell', 'forecast_snapshot', 'quota', 'opportunity_contact', 'opportunity_stage_change', 'opportunity', 'pipeline_stage', 'pipeline', 'exchange_rate']) {
      await sql`drop table ${sql.table(`sales.${table}`)}`.execute(db);
    }
  },
};
