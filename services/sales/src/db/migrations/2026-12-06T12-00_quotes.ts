import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const quotes: Migration = {
  async up(db: Kysely<any>) {
    await sql`create table sales.quote (
      id uuid primary key,
      customer_id uuid not null,
      dealer_id uuid,
      owner_subject text,
      created_by text not null,
      currency text not null,
      status text not null check (status in ('draft', 'pending_approval', 'approved', 'sent', 'accepted', 'rejected', 'expired', 'ordered')),
      current_version integer not null,
      valid_until date not null,
      total numeric not null,
      approval_rule_id uuid,
      approval_chain text[] not null default '{}',
      approval_step integer not null default 0,
      approval_reason text,
      submitted_by text,
      submitted_at timestamptz,
      order_id uuid unique,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null)`.execute(db);
    await sql`create index quote_customer_idx on sales.quote (customer_id)`.execute(db);
    await sql`create index quote_dealer_idx on sales.quote (dealer_id, created_at desc)`.execute(db);
    await sql`create index quote_owner_idx on sales.quote (owner_subject, created_at desc)`.execute(db);
    await sql`create table sales.quote_version (
      quote_id uuid not null references sales.quote (id) on delete cascade,
      version integer not null,
      valid_until date not null,
      tax_percent numeric not null,
      header_discount_percent numeric not null,
      lines jsonb not null,
      subtotal numeric not null,
      discount numeric not null,
      tax numeric not null,
      total numeric not null,
      created_by text not null,
      created_at timestamptz not null,
      primary key (quote_id, version))`.execute(db);
    await sql`create table sales.quote_approval (
      id uuid primary key,
      quote_id uuid not null references sales.quote (id) on delete cascade,
      quote_version integer not null,
      step integer not null,
      role text not null,
      decision text not null check (decision in ('approve', 'reject')),
      comment text,
      decided_by text not null,
      decided_at timestamptz not null)`.execute(db);
    await sql`create index quote_approval_quote_idx on sales.quote_approval (quote_id, decided_at)`.execute(db);
    await sql`create table sales.quote_approval_rule (
      id uuid primary key,
      name text not null,
      position integer not null,
      conditions jsonb not null,
      chain text[] not null,
      active boolean not null,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null)`.execute(db);
    await sql`create table sales.customer_approval_policy (
      customer_id uuid primary key,
      account_approval_above numeric,
      currency text,
      updated_at timestamptz not null)`.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const table of ['customer_approval_policy', 'quote_approval_rule', 'quote_approval', 'quote_version', 'quote']) {
      await sql`drop table ${sql.table(`sales.${table}`)}`.execute(db);
    }
  },
};
