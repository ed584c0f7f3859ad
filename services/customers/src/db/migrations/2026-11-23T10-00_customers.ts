import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const customersSchema: Migration = {
  async up(db: Kysely<any>) {
    // Raw statements below name tables unqualified; the migration's transaction resolves them here.
    await sql`set local search_path to customers, public`.execute(db);
    // Similarity search and name-based duplicate matching use pg_trgm where the server has it.
    await sql`do $$ begin create extension if not exists pg_trgm with schema public; exception when others then raise notice 'pg_trgm unavailable: %', sqlerrm; end $$`.execute(db);

    await db.schema
      .createTable('dealer')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('code', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('region', 'text')
      .addColumn('city', 'text')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();

    await db.schema
      .createTable('attribute_definition')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('string', 'number', 'boolean', 'date', 'enum')`))
      .addColumn('allowed_values', sql`text[]`)
      .addColumn('description', 'text')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();

    await db.schema
      .createTable('customer')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('person', 'organization')`))
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'merged', 'erased')`))
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('given_name', 'text')
      .addColumn('family_name', 'text')
      .addColumn('organization_name', 'text')
      .addColumn('birth_date', 'date')
      .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
      .addColumn('roles', sql`text[]`, (c) => c.notNull())
      .addColumn('dealer_id', 'uuid', (c) => c.references('dealer.id'))
      .addColumn('emails', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('phones', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('addresses', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'`))
      .addColumn('attributes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'`))
      /** When each field last got a value: survivorship on merge picks the newest non-empty one. */
      .addColumn('field_updated_at', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('merged_into', 'uuid', (c) => c.references('customer.id'))
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('erased_at', 'timestamptz')
      .execute();
    await sql`create index customer_dealer_idx on customer (dealer_id, id) where status = 'active'`.execute(db);
    await sql`create index customer_name_prefix_idx on customer (lower(display_name) text_pattern_ops) where status = 'active'`.execute(db);
    await sql`create index customer_emails_idx on customer using gin (emails) where status = 'active'`.execute(db);
    await sql`create index customer_phones_idx on customer using gin (phones) where status = 'active'`.execute(db);
    await sql`create index customer_birth_date_idx on customer (birth_date) where status = 'active'`.execute(db);
    await sql`create index customer_merged_into_idx on customer (merged_into) where merged_into is not null`.execute(db);
    await sql`do $$ begin
      if exists (select 1 from pg_extension where extname = 'pg_trgm') then
        execute 'create index customer_name_trgm_idx on ' || quote_ident(current_schema()) || '.customer using gin (lower(display_name) gin_trgm_ops) where status = ''active''';
      end if; end $$`.execute(db);

    await db.schema
      .createTable('external_id')
      .addColumn('system', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customer.id'))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('external_id_pk', ['system', 'external_id'])
      .execute();
    await db.schema.createIndex('external_id_customer_idx').on('external_id').column('customer_id').execute();

    await db.schema
      .createTable('contact')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('organization_id', 'uuid', (c) => c.notNull().references('customer.id'))
      .addColumn('person_id', 'uuid', (c) => c.notNull().references('customer.id'))
      .addColumn('buying_role', 'text', (c) => c.notNull())
      .addColumn('job_title', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addUniqueConstraint('contact_org_person_role_uq', ['organization_id', 'person_id', 'buying_role'])
      .execute();
    await db.schema.createIndex('contact_person_idx').on('contact').column('person_id').execute();

    await db.schema
      .createTable('consent')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customer.id'))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('granted', 'boolean', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // History is every row; the current state per channel is the newest recorded one.
    await sql`create index consent_current_idx on consent (customer_id, channel, recorded_at desc, id desc)`.execute(db);

    await db.schema
      .createTable('timeline_entry')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('customer_id', 'uuid', (c) => c.notNull())
      .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'`))
      .execute();
    await sql`create index timeline_customer_idx on timeline_entry (customer_id, id desc)`.execute(db);
  },

  async down(db: Kysely<any>) {
    for (const table of ['timeline_entry', 'consent', 'contact', 'external_id', 'customer', 'attribute_definition', 'dealer']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
