import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const ingestJobLastLine: Migration = {
  /** The last line number an NDJSON ingest read: where a job stopped at a stream limit says so. */
  async up(db: Kysely<any>) {
    await sql`alter table scoring.ingest_job add column last_line integer not null default 0`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`alter table scoring.ingest_job drop column last_line`.execute(db);
  },
};
