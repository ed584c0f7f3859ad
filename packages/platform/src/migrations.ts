import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResultSet } from 'kysely/migration';

export type { Migration };

export interface ServiceMigrations {
  /** The service's own PostgreSQL schema; its migration history lives there too. */
  schema: string;
  /** Frozen, timestamp-named migrations (`2026-11-23T10:00_customers`); they use Kysely<any> and never import app code. */
  migrations: Record<string, Migration>;
}

function migratorFor(db: Kysely<unknown>, { schema, migrations }: ServiceMigrations): Migrator {
  return new Migrator({
    db: db.withSchema(schema),
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableSchema: schema,
  });
}

function unwrap(result: MigrationResultSet, schema: string): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} of schema "${schema}" failed: ${result.error instanceof Error ? result.error.message : JSON.stringify(result.error)}`, { cause: result.error });
  }
  return (result.results ?? []).map((r) => r.migrationName);
}

/** Creates the schema if needed and applies every pending migration in order; returns the names applied. */
export async function migrateToLatest(db: Kysely<unknown>, service: ServiceMigrations): Promise<string[]> {
  await sql`create schema if not exists ${sql.id(service.schema)}`.execute(db);
  return unwrap(await migratorFor(db, service).migrateToLatest(), service.schema);
}

/** Reverts the newest applied migration (used by tests that prove every migration has a working `down`). */
export async function migrateDown(db: Kysely<unknown>, service: ServiceMigrations): Promise<string[]> {
  return unwrap(await migratorFor(db, service).migrateDown(), service.schema);
}
