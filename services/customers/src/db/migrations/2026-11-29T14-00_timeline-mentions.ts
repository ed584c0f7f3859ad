import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const timelineMentions: Migration = {
  /**
   * A timeline entry may describe another person than the customer whose timeline holds it (an
   * organisation's "contact added"): erasing that person scrubs such entries, found by this column.
   */
  async up(db: Kysely<any>) {
    await sql`alter table customers.timeline_entry add column mentioned_customer_id uuid`.execute(db);
    await sql`update customers.timeline_entry set mentioned_customer_id = (data->'contact'->>'personId')::uuid
      where data->'contact'->>'personId' is not null`.execute(db);
    await sql`create index timeline_mentioned_idx on customers.timeline_entry (mentioned_customer_id) where mentioned_customer_id is not null`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`alter table customers.timeline_entry drop column mentioned_customer_id`.execute(db);
  },
};
