import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** API clients: each has an API key and OAuth client credentials, stored as hashes only. */
export const apiClientMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('api_client')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('principal', 'jsonb', (c) => c.notNull())
      .addColumn('api_key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('client_id', 'text', (c) => c.notNull().unique())
      .addColumn('client_secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('revoked_at', 'timestamptz')
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('api_client').execute();
  },
};
