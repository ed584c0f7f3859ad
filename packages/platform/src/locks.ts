import { sql, type Kysely } from 'kysely';

/**
 * Transaction-scoped PostgreSQL advisory locks by name (hashed with `hashtextextended`), released at
 * commit or rollback. Several names are taken in sorted order, so two holders can never deadlock.
 * `shared` holders run side by side and only exclude an exclusive holder of the same name.
 */
export async function lockForTransaction(trx: Kysely<any>, names: string | string[], mode: 'exclusive' | 'shared' = 'exclusive'): Promise<void> {
  const keys = [...new Set(typeof names === 'string' ? [names] : names)].sort();
  if (keys.length === 0) return;
  const lock = mode === 'shared' ? sql`pg_advisory_xact_lock_shared` : sql`pg_advisory_xact_lock`;
  await sql`select ${lock}(hashtextextended(k, 0)) from unnest(${keys}::text[]) as k`.execute(trx);
}

/** Takes the exclusive lock if it is free; false at once when another transaction holds it. */
export async function tryLockForTransaction(trx: Kysely<any>, name: string): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtextextended(${name}, 0)) as locked`.execute(trx);
  return rows[0]?.locked === true;
}
