import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { problem, Problems, type ProblemError } from './problems';

// bigint (count(*), bigserial) and numeric come back as strings; keep them exact, callers convert.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);
// A calendar date is not an instant: keep `date` as its ISO string instead of a local-midnight Date.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/** Pool and session limits of a PostgreSQL target (the settings `DB_*` choose them; these are their defaults). */
export interface PoolLimits {
  poolSize: number;
  /** Longest wait for a free connection (or a new one to open); then the query fails with 503. */
  acquireTimeoutMs: number;
  /** Server-side `statement_timeout` of every session; 0 = none. */
  statementTimeoutMs: number;
  /** Server-side `idle_in_transaction_session_timeout`; 0 = none. */
  idleInTransactionTimeoutMs: number;
}

export const POOL_LIMIT_DEFAULTS: PoolLimits = Object.freeze({
  poolSize: 10,
  acquireTimeoutMs: 10_000,
  statementTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 60_000,
});

export type DatabaseTarget =
  | ({ kind: 'postgres'; url: string } & Partial<PoolLimits>)
  /** Embedded PostgreSQL (PGlite) kept under `dataDir`; `undefined` keeps it in memory. */
  | { kind: 'embedded'; dataDir?: string };

/**
 * Opens the database every service of the process shares. Services never see the connection kind:
 * each narrows the handle to its own schema with `db.withSchema(schema)`.
 */
export function openDatabase<T = unknown>(target: DatabaseTarget): Kysely<T> {
  const { dialect, gauge } = dialectFor(target);
  const db = new Kysely<T>({ dialect });
  gauges.set(db, gauge);
  return db;
}

/** What load shedding reads of a database handle. */
export interface PoolGauge {
  /** Queries waiting for a pooled connection right now (0 without a pool: embedded PGlite). */
  waiting(): number;
}

const NO_POOL: PoolGauge = Object.freeze({ waiting: () => 0 });
const gauges = new WeakMap<object, PoolGauge>();

/** The pool gauge of a handle `openDatabase` returned (a handle narrowed with `withSchema` has none of its own). */
export function poolGaugeOf(db: Kysely<unknown>): PoolGauge {
  return gauges.get(db) ?? NO_POOL;
}

function dialectFor(target: DatabaseTarget): { dialect: Dialect; gauge: PoolGauge } {
  switch (target.kind) {
    case 'postgres': {
      const limits = { ...POOL_LIMIT_DEFAULTS, ...definedOnly(target) };
      const pool = new pg.Pool({
        connectionString: target.url,
        max: limits.poolSize,
        connectionTimeoutMillis: limits.acquireTimeoutMs,
        // Sent as session parameters at connect: the server enforces them, whatever the client does.
        statement_timeout: limits.statementTimeoutMs,
        idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs,
        application_name: 'crm',
      });
      // An idle connection the server closed (restart, failover) is dropped from the pool; the next
      // query opens a fresh one. Without a listener the process would die on it.
      pool.on('error', () => undefined);
      // The same for a checked-out one: the server ending a session idle in a transaction raises the error
      // between queries, where the pool listens no more; the next query fails and the pool discards the client.
      pool.on('connect', (client) => client.on('error', () => undefined));
      return { dialect: new PostgresDialect({ pool }), gauge: { waiting: () => pool.waitingCount } };
    }
    case 'embedded': {
      if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
      // Same value shapes as the pg parsers above, so services never see which database they run on. One options
      // object: PGlite ignores the options (extensions included) when the data directory argument is undefined.
      const keepText = (value: string) => value;
      const parsers = { [pg.types.builtins.INT8]: keepText, [pg.types.builtins.DATE]: keepText };
      return { dialect: new PGliteDialect(new PGlite({ dataDir: target.dataDir, extensions: { pg_trgm, btree_gist }, parsers })), gauge: NO_POOL };
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

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Whole-base jobs (a full scoring run, a CLV fit) are one at a time and expected to take long: they lift
 * the session's statement timeout for their own transaction (`set local`, so it ends with it).
 */
export async function allowLongStatements(trx: Kysely<any>): Promise<void> {
  await sql`select set_config('statement_timeout', '0', true)`.execute(trx);
}

/** The same for work that cannot run in a transaction (VACUUM): on one connection, its setting restored after. */
export async function withoutStatementTimeout<T>(db: Kysely<any>, work: (connection: Kysely<any>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`set statement_timeout = 0`.execute(connection);
    try {
      return await work(connection);
    } finally {
      await sql`reset statement_timeout`.execute(connection);
    }
  });
}

const SQLSTATE_STATEMENT_CANCELED = '57014';
const SQLSTATE_IDLE_IN_TRANSACTION_TIMEOUT = '25P03';
/** too_many_connections, admin/crash shutdown, cannot connect now. */
const SQLSTATE_UNAVAILABLE = new Set(['53300', '57P01', '57P02', '57P03']);
const NETWORK_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/**
 * A database failure that is about load or availability rather than the request: the request may
 * succeed later, so it is answered 503 (with Retry-After, see `createApp`), not an opaque 500.
 */
export function databaseProblemOf(error: unknown): ProblemError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (code === SQLSTATE_STATEMENT_CANCELED) return problem(Problems.databaseTimeout, 'a database statement took too long and was cancelled');
  if (code === SQLSTATE_IDLE_IN_TRANSACTION_TIMEOUT) return problem(Problems.databaseTimeout, 'the database ended a transaction left idle too long');
  // pg-pool's own error when DB_ACQUIRE_TIMEOUT_MS passes without a free connection.
  if (error.message === 'timeout exceeded when trying to connect') return problem(Problems.overloaded, 'no database connection became free in time');
  if ((typeof code === 'string' && (SQLSTATE_UNAVAILABLE.has(code) || NETWORK_UNAVAILABLE.has(code))) || /^Connection terminated|not queryable/.test(error.message)) {
    return problem(Problems.unavailable, 'the database cannot be reached right now');
  }
  return undefined;
}
