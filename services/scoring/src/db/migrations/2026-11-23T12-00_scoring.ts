import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const scoringSchema: Migration = {
  async up(db: Kysely<any>) {
    await sql`set local search_path to scoring, public`.execute(db);

    // What scoring keeps of customers, from crm.customers events (it never reads the customers schema).
    await db.schema
      .createTable('customer')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('dealer_id', 'uuid')
      .addColumn('birth_date', 'date')
      .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
      .addColumn('city', 'text')
      .addColumn('region', 'text')
      .addColumn('country', 'text')
      .addColumn('consents', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('customer_external_id')
      .addColumn('system', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      .addColumn('customer_id', 'uuid', (c) => c.notNull())
      .addPrimaryKeyConstraint('customer_external_id_pk', ['system', 'external_id'])
      .execute();
    await db.schema.createIndex('customer_external_id_customer_idx').on('customer_external_id').column('customer_id').execute();

    await db.schema
      .createTable('exchange_rate')
      .addColumn('currency', 'text', (c) => c.primaryKey())
      /** Units of the base currency per unit of this currency. */
      .addColumn('rate', 'numeric', (c) => c.notNull().check(sql`rate > 0`))
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();

    await db.schema
      .createTable('transaction')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('source_system', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      /** Null while pending (customer not known yet) or after the customer was erased. */
      .addColumn('customer_id', 'uuid')
      /** How the sender named the customer when we could not resolve it yet. */
      .addColumn('customer_ref_system', 'text')
      .addColumn('customer_ref_id', 'text')
      .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('sale', 'return')`))
      .addColumn('amount', 'numeric', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('amount_base', 'numeric', (c) => c.notNull())
      .addColumn('quantity', 'numeric', (c) => c.notNull())
      .addColumn('product', 'text')
      .addColumn('category', 'text')
      .addColumn('channel', 'text')
      .addColumn('dealer_id', 'uuid')
      .addColumn('ingested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint('transaction_source_uq', ['source_system', 'external_id'])
      .execute();
    await sql`create index transaction_customer_idx on transaction (customer_id, occurred_at) where customer_id is not null`.execute(db);
    await sql`create index transaction_pending_idx on transaction (customer_ref_system, customer_ref_id) where customer_id is null and customer_ref_id is not null`.execute(db);
    await sql`create index transaction_dealer_idx on transaction (dealer_id, occurred_at)`.execute(db);

    await db.schema
      .createTable('ingest_job')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed')`))
      .addColumn('principal_subject', 'text', (c) => c.notNull())
      .addColumn('dealer_id', 'uuid')
      .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('inserted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('duplicates', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('pending', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rejected_lines', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'`))
      .addColumn('error', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('finished_at', 'timestamptz')
      .execute();
  },

  async down(db: Kysely<any>) {
    for (const table of ['ingest_job', 'transaction', 'exchange_rate', 'customer_external_id', 'customer']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
