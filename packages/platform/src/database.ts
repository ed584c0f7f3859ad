import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';

// bigint (count(*), bigserial) and numeric come back as strings; keep them exact, callers convert.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);
// A calendar date is not an instant: keep `date` as its ISO string instead of a local-midnight Date.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** Embedded PostgreSQL (PGlite) kept under `dataDir`; `undefined` keeps it in memory. */
  | { kind: 'embedded'; dataDir?: string };

/**
 * Opens the database every service of the process shares. Services never see the connection kind:
 * each narrows the handle to its own schema with `db.withSchema(schema)`.
 */
export function openDatabase<T = unknown>(target: DatabaseTarget): Kysely<T> {
  return new Kysely<T>({ dialect: dialectFor(target) });
}

function dialectFor(target: DatabaseTarget): Dialect {
  switch (target.kind) {
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10, application_name: 'crm' });
      // An idle connection the server closed (restart, failover) is dropped from the pool; the next
      // query opens a fresh one. Without a listener the process would die on it.
      pool.on('error', () => undefined);
      return new PostgresDialect({ pool });
    }
    case 'embedded': {
      if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
      // Same value shapes as the pg parsers above, so services never see which database they run on.
      const keepText = (value: string) => value;
      const parsers = { [pg.types.builtins.INT8]: keepText, [pg.types.builtins.DATE]: keepText };
      return new PGliteDialect(new PGlite(target.dataDir, { extensions: { pg_trgm }, parsers }));
    }
  }
}

/** Readiness probe: one round trip. */
export async function pingDatabase(db: Kysely<unknown>): Promise<void> {
  await sql`select 1`.execute(db);
}

/** True when the server has pg_trgm (or it could be created): similarity search uses it when present. */
export async function hasTrigramSupport(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ present: boolean }>`
    select exists (select 1 from pg_extension where extname = 'pg_trgm') as present`.execute(db);
  return rows[0]?.present ?? false;
}
