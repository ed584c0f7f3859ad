import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const coveringCustomerIndex: Migration = {
  /**
   * The per-customer index carries every column the scoring aggregations read, so a run reads it alone
   * (an index-only scan, already in customer and time order: grouping needs no sort) instead of the heap.
   */
  async up(db: Kysely<any>) {
    await sql`drop index scoring.transaction_customer_idx`.execute(db);
    await sql`create index transaction_customer_idx on scoring.transaction (customer_id, occurred_at)
      include (type, amount_base, category) where customer_id is not null`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop index scoring.transaction_customer_idx`.execute(db);
    await sql`create index transaction_customer_idx on scoring.transaction (customer_id, occurred_at) where customer_id is not null`.execute(db);
  },
};
