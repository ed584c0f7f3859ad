import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const activitiesCalendarsExpenses: Migration = {
  async up(db: Kysely<any>) {
    // Exclusion constraints over (owner, time range) need equality on text/uuid inside a GiST index.
    await sql`create extension if not exists btree_gist`.execute(db);
    await sql`create table sales.activity (
      id uuid primary key,
      kind text not null check (kind in ('call', 'meeting', 'test_drive', 'visit', 'task', 'email')),
      target_kind text not null check (target_kind in ('lead', 'opportunity', 'customer')),
      target_id uuid not null,
      customer_id uuid,
      dealer_id uuid,
      owner_subject text,
      subject text not null,
      notes text,
      due_at timestamptz,
      duration_minutes integer check (duration_minutes between 1 and 1440),
      rrule text,
      status text not null check (status in ('open', 'completed')),
      completed_at timestamptz,
      outcome text,
      created_at timestamptz not null,
      created_by text not null,
      updated_at timestamptz not null,
      version integer not null default 1,
      check (rrule is null or (kind = 'task' and due_at is not null)),
      check ((status = 'completed') = (completed_at is not null)),
      check (owner_subject is not null or dealer_id is not null))`.execute(db);
    await sql`create index activity_customer_idx on sales.activity (customer_id)`.execute(db);
    await sql`create index activity_target_idx on sales.activity (target_kind, target_id)`.execute(db);
    await sql`create index activity_owner_idx on sales.activity (owner_subject, due_at)`.execute(db);
    await sql`create index activity_dealer_idx on sales.activity (dealer_id, due_at)`.execute(db);
    await sql`create index activity_completed_idx on sales.activity (completed_at) where status = 'completed'`.execute(db);

    await sql`create table sales.calendar_resource (
      id uuid primary key,
      owner_key text not null,
      name text not null,
      created_at timestamptz not null,
      unique (owner_key, name))`.execute(db);
    await sql`create table sales.booking (
      id uuid primary key,
      owner_key text not null,
      resource_id uuid references sales.calendar_resource (id),
      activity_id uuid references sales.activity (id) on delete cascade,
      title text not null,
      during tstzrange not null check (not isempty(during)),
      status text not null check (status in ('booked', 'cancelled')),
      created_at timestamptz not null,
      created_by text not null,
      cancelled_at timestamptz,
      constraint booking_owner_overlap exclude using gist (owner_key with =, during with &&) where (status = 'booked'),
      constraint booking_resource_overlap exclude using gist (resource_id with =, during with &&) where (status = 'booked' and resource_id is not null))`.execute(db);
    await sql`create index booking_activity_idx on sales.booking (activity_id)`.execute(db);

    await sql`create table sales.expense_claim (
      id uuid primary key,
      claimant_subject text not null,
      title text not null,
      status text not null check (status in ('draft', 'submitted', 'approved', 'rejected', 'paid')),
      submitted_at timestamptz,
      decided_at timestamptz,
      decided_by text,
      decision_comment text,
      paid_at timestamptz,
      paid_by text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      version integer not null default 1)`.execute(db);
    await sql`create index expense_claim_claimant_idx on sales.expense_claim (claimant_subject, created_at desc)`.execute(db);
    await sql`create table sales.expense_item (
      claim_id uuid not null references sales.expense_claim (id) on delete cascade,
      line_no integer not null,
      spent_on date not null,
      category text not null check (category in ('travel', 'meals', 'lodging', 'mileage', 'entertainment', 'other')),
      amount numeric not null check (amount >= 0),
      currency text not null,
      description text not null,
      receipt_ref text,
      primary key (claim_id, line_no))`.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const table of ['expense_item', 'expense_claim', 'booking', 'calendar_resource', 'activity']) {
      await sql`drop table ${sql.table(`sales.${table}`)}`.execute(db);
    }
  },
};
