import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const leads: Migration = {
  async up(db: Kysely<any>) {
    await sql`create table sales.lead_rating_rule (
      id uuid primary key,
      name text not null,
      position integer not null,
      conditions jsonb not null,
      rating text not null check (rating in ('hot', 'warm', 'cold')),
      active boolean not null default true,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null)`.execute(db);
    await sql`create table sales.lead_assignment_rule (
      id uuid primary key,
      name text not null,
      position integer not null,
      conditions jsonb not null,
      target text not null check (target in ('dealers', 'team', 'queue')),
      dealer_ids uuid[] not null default '{}',
      team_id uuid references sales.sales_team (id),
      sla_business_hours numeric check (sla_business_hours > 0),
      reassign_on_breach boolean not null default false,
      active boolean not null default true,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check ((target = 'team') = (team_id is not null)),
      check ((target = 'dealers') = (cardinality(dealer_ids) > 0)))`.execute(db);
    await sql`create table sales.lead (
      id uuid primary key,
      status text not null check (status in ('queued', 'assigned', 'accepted', 'contacted', 'disqualified', 'converted')),
      channel text not null,
      source text,
      campaign_ref text,
      name text,
      email text,
      phone text,
      email_digest text,
      phone_digest text,
      province text,
      city text,
      product_line text,
      model_of_interest text,
      purchase_timeframe text not null,
      budget_amount numeric,
      budget_currency text,
      test_drive_requested boolean not null default false,
      notes text,
      customer_id uuid,
      rating text not null check (rating in ('hot', 'warm', 'cold')),
      rating_rule_id uuid,
      dealer_id uuid,
      owner_subject text,
      assignment_rule_id uuid,
      passed_dealer_ids uuid[] not null default '{}',
      assigned_at timestamptz,
      sla_due_at timestamptz,
      sla_breached_at timestamptz,
      accepted_at timestamptz,
      first_contact_at timestamptz,
      closed_at timestamptz,
      disqualify_reason text,
      opportunity_id uuid,
      captured_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      version integer not null default 1)`.execute(db);
    // Dedupe looks only at open leads, by normalised e-mail and E.164 phone.
    await sql`create index lead_open_email_idx on sales.lead (email) where status in ('queued', 'assigned', 'accepted', 'contacted') and email is not null`.execute(db);
    // An erasure finds the leads never linked to the person by its contact points' keyed digests.
    await sql`create index lead_email_digest_idx on sales.lead (email_digest) where email_digest is not null`.execute(db);
    await sql`create index lead_phone_digest_idx on sales.lead (phone_digest) where phone_digest is not null`.execute(db);
    await sql`create index lead_open_phone_idx on sales.lead (phone) where status in ('queued', 'assigned', 'accepted', 'contacted') and phone is not null`.execute(db);
    await sql`create index lead_sla_due_idx on sales.lead (sla_due_at) where first_contact_at is null and sla_breached_at is null and status in ('assigned', 'accepted')`.execute(db);
    await sql`create index lead_dealer_idx on sales.lead (dealer_id, created_at desc)`.execute(db);
    await sql`create index lead_owner_idx on sales.lead (owner_subject, created_at desc)`.execute(db);
    await sql`create index lead_created_idx on sales.lead (created_at desc, id desc)`.execute(db);
    await sql`create index lead_customer_idx on sales.lead (customer_id)`.execute(db);
    await sql`create table sales.lead_touch (
      id uuid primary key,
      lead_id uuid not null references sales.lead (id) on delete cascade,
      channel text not null,
      source text,
      campaign_ref text,
      matched_on text check (matched_on in ('email', 'phone')),
      notes text,
      at timestamptz not null,
      by text not null)`.execute(db);
    await sql`create index lead_touch_lead_idx on sales.lead_touch (lead_id, at)`.execute(db);
    await sql`create table sales.lead_routing (
      lead_id uuid not null references sales.lead (id) on delete cascade,
      seq integer not null,
      rule_id uuid,
      rule_name text,
      reason text not null,
      dealer_id uuid,
      owner_subject text,
      cause text not null check (cause in ('capture', 'rejection', 'sla-breach', 'change')),
      at timestamptz not null,
      accepted_at timestamptz,
      rejected_at timestamptz,
      breached_at timestamptz,
      contacted_at timestamptz,
      primary key (lead_id, seq))`.execute(db);
    // Dealer response reports group placements by dealer over a period.
    await sql`create index lead_routing_dealer_idx on sales.lead_routing (dealer_id, at)`.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const table of ['lead_routing', 'lead_touch', 'lead', 'lead_assignment_rule', 'lead_rating_rule']) {
      await sql`drop table ${sql.table(`sales.${table}`)}`.execute(db);
    }
  },
};
