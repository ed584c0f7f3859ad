import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const scoreModelVersion: Migration = {
  /** Which CLV model version made each customer's predictions (a newer model may be active since). */
  async up(db: Kysely<any>) {
    await sql`alter table scoring.customer_score add column clv_model_version integer`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`alter table scoring.customer_score drop column clv_model_version`.execute(db);
  },
};
