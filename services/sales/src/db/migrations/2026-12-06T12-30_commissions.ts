import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const commissions: Migration = {
  async up(db: Kysely<any>) {
    await sql`create table sales.commission_plan (
      id uuid primary key,
      name text not null,
      currency text not null,
      tiers jsonb not null,
      rep_split numeric not null,
      dealer_split numeric not null,
      reps text[] not null default '{}',
      dealers uuid[] not null default '{}',
      valid_from date not null,
      valid_to date,
      activity_bonus jsonb,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check (valid_to is null or valid_to >= valid_from))`.execute(db);
    // Order ids only: commissions keep no personal data.
    await sql`create table sales.commission_line (
      id uuid primary key,
      plan_id uuid not null references sales.commission_plan (id),
      payee_kind text not null check (payee_kind in ('rep', 'dealer')),
      payee text not null,
      period text not null,
      booked_at timestamptz not null,
      kind text not null check (kind in ('accrual', 'clawback')),
      order_id uuid not null,
      order_line_no integer not null,
      return_id uuid,
      reverses uuid references sales.commission_line (id),
      category text,
      order_currency text not null,
      order_amount numeric not null,
      base numeric,
      currency text not null,
      tier integer not null,
      rate numeric not null,
      split_percent numeric not null,
      amount numeric,
      status text not null check (status in ('converted', 'unconverted')))`.execute(db);
    await sql`create index commission_line_statement_idx on sales.commission_line (payee_kind, payee, period, booked_at)`.execute(db);
    await sql`create index commission_line_order_idx on sales.commission_line (order_id)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop table sales.commission_line`.execute(db);
    await sql`drop table sales.commission_plan`.execute(db);
  },
};
