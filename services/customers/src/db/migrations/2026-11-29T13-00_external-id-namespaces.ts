import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const externalIdNamespaces: Migration = {
  /**
   * External ids are unique per namespace (ADR 0008): `shared` for staff and integrations, `dealer:<id>`
   * for what a dealer wrote. Every id written so far goes to the shared namespace.
   */
  async up(db: Kysely<any>) {
    await sql`alter table customers.external_id add column namespace text not null default 'shared'`.execute(db);
    await sql`alter table customers.external_id drop constraint external_id_pk`.execute(db);
    await sql`alter table customers.external_id add constraint external_id_pk primary key (namespace, system, external_id)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`delete from customers.external_id where namespace <> 'shared'`.execute(db);
    await sql`alter table customers.external_id drop constraint external_id_pk`.execute(db);
    await sql`alter table customers.external_id add constraint external_id_pk primary key (system, external_id)`.execute(db);
    await sql`alter table customers.external_id drop column namespace`.execute(db);
  },
};
