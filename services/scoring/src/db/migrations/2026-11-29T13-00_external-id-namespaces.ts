import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const externalIdNamespaces: Migration = {
  /**
   * External ids are unique per namespace (ADR 0008): `shared` for staff and integrations, `dealer:<id>`
   * for what a dealer wrote. Customers' external ids as the projection keeps them, and the
   * (source system, external id) that makes a transaction a duplicate. Every row so far is shared.
   */
  async up(db: Kysely<any>) {
    await sql`alter table scoring.customer_external_id add column namespace text not null default 'shared'`.execute(db);
    await sql`alter table scoring.customer_external_id drop constraint customer_external_id_pk`.execute(db);
    await sql`alter table scoring.customer_external_id add constraint customer_external_id_pk primary key (namespace, system, external_id)`.execute(db);
    await sql`alter table scoring.transaction add column namespace text not null default 'shared'`.execute(db);
    await sql`alter table scoring.transaction drop constraint transaction_source_uq`.execute(db);
    await sql`alter table scoring.transaction add constraint transaction_source_uq unique (namespace, source_system, external_id)`.execute(db);
    // What a dealer may see of transactions is decided by its customers' current assignment.
    await sql`create index customer_dealer_idx on scoring.customer (dealer_id) where dealer_id is not null`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop index scoring.customer_dealer_idx`.execute(db);
    await sql`delete from scoring.transaction where namespace <> 'shared'`.execute(db);
    await sql`alter table scoring.transaction drop constraint transaction_source_uq`.execute(db);
    await sql`alter table scoring.transaction add constraint transaction_source_uq unique (source_system, external_id)`.execute(db);
    await sql`alter table scoring.transaction drop column namespace`.execute(db);
    await sql`delete from scoring.customer_external_id where namespace <> 'shared'`.execute(db);
    await sql`alter table scoring.customer_external_id drop constraint customer_external_id_pk`.execute(db);
    await sql`alter table scoring.customer_external_id add constraint customer_external_id_pk primary key (system, external_id)`.execute(db);
    await sql`alter table scoring.customer_external_id drop column namespace`.execute(db);
  },
};
