import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const customerAliases: Migration = {
  /**
   * Merged ids keep working and stale customer events stay out: each merged-away id points at its
   * final survivor, erased ids are remembered, and the projection keeps the version it applied.
   */
  async up(db: Kysely<any>) {
    await sql`create table scoring.customer_alias (
      merged_id uuid primary key,
      survivor_id uuid not null,
      merged_at timestamptz not null)`.execute(db);
    await sql`create index customer_alias_survivor_idx on scoring.customer_alias (survivor_id)`.execute(db);
    await sql`create table scoring.erased_customer (id uuid primary key, erased_at timestamptz not null)`.execute(db);
    // 0: projected from a snapshot that carried no version (published before versions existed).
    await sql`alter table scoring.customer add column version integer not null default 0`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`alter table scoring.customer drop column version`.execute(db);
    await sql`drop table scoring.erased_customer`.execute(db);
    await sql`drop table scoring.customer_alias`.execute(db);
  },
};
