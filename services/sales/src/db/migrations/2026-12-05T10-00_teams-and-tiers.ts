import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const teamsAndTiers: Migration = {
  async up(db: Kysely<any>) {
    await sql`create table sales.customer_tier (
      customer_id uuid primary key,
      tier text not null,
      changed_at timestamptz not null)`.execute(db);
    await sql`create table sales.sales_team (
      id uuid primary key,
      name text not null,
      product_lines text[] not null default '{}',
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null)`.execute(db);
    await sql`create table sales.sales_team_member (
      team_id uuid not null references sales.sales_team (id) on delete cascade,
      subject text not null,
      role text not null check (role in ('rep', 'manager')),
      capacity integer check (capacity > 0),
      last_assigned_at timestamptz,
      primary key (team_id, subject))`.execute(db);
    await sql`create index sales_team_member_subject_idx on sales.sales_team_member (subject)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop table sales.sales_team_member`.execute(db);
    await sql`drop table sales.sales_team`.execute(db);
    await sql`drop table sales.customer_tier`.execute(db);
  },
};
