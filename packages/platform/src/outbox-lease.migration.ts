import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * The outbox relay's leadership lease (one row per schema's outbox): the relay that holds an unexpired
 * lease publishes, the others wait. Replaces a transaction-scoped advisory lock, which kept a
 * transaction open for as long as Kafka took to answer. Frozen like any migration.
 */
export const outboxLeaseMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('outbox_lease')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('outbox_lease').execute();
  },
};
