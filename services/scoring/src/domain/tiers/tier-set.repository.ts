import { problem, Problems, requireIfMatch } from '@crm/platform';
import { sql } from 'kysely';
import type { ScoringDb } from '../../db/scoring.repository';
import { DEFAULT_TIER_SET, invalidTierSet, ruleDependencies, validateTierSet, type Rule, type TierCondition, type TierDefinition } from '../rules';

/** The admin-managed tier set: its definitions by rank (top first) and the version its ETag names. */
export interface TierSet {
  version: number;
  tiers: TierDefinition[];
}

/**
 * Writes DEFAULT_TIER_SET when the tier table is empty, and never otherwise (an admin's set is not
 * topped up). Safe under concurrency: a second seeder's rows conflict and are skipped.
 */
export async function seedDefaultTierSet(db: ScoringDb): Promise<void> {
  const rows = DEFAULT_TIER_SET.map(({ name, rank, rule }) => ({ name, rank, rule }));
  await sql`
    insert into scoring.tier (name, rank, rule, version)
    select t.name, t.rank, t.rule, 1 from jsonb_to_recordset(cast(${JSON.stringify(rows)} as jsonb)) as t(name text, rank integer, rule jsonb)
    where not exists (select 1 from scoring.tier)
    on conflict do nothing`.execute(db);
}

async function readTierSet(db: ScoringDb): Promise<TierSet | undefined> {
  const rows = await db.selectFrom('tier').select(['name', 'rank', 'rule', 'version']).orderBy('rank').execute();
  if (rows.length === 0) return undefined;
  return {
    version: Math.max(...rows.map((row) => row.version)),
    tiers: rows.map((row) => ({ name: row.name, rank: row.rank, rule: row.rule as TierCondition })),
  };
}

/** The current tier set; seeds the default set first when there is none yet (lazily, on first use). */
export async function loadTierSet(db: ScoringDb): Promise<TierSet> {
  const current = await readTierSet(db);
  if (current) return current;
  await seedDefaultTierSet(db);
  const seeded = await readTierSet(db);
  if (!seeded) throw new Error('the default tier set could not be seeded');
  return seeded;
}

/**
 * Replaces the whole set (validated, If-Match on the set's version). Tiers that segment rules or
 * manual overrides name cannot be removed or renamed (409). Must run inside a transaction.
 */
export async function replaceTierSet(trx: ScoringDb, input: unknown, ifMatch: string | undefined, path = 'body.items'): Promise<TierSet> {
  const checked = validateTierSet(input, { path });
  if (!checked.ok) throw invalidTierSet(checked.errors);
  // Writers queue up here; plain reads go on (EXCLUSIVE still admits ACCESS SHARE).
  await sql`lock table scoring.tier in exclusive mode`.execute(trx);
  const current = await loadTierSet(trx);
  requireIfMatch(ifMatch, current.version);

  const kept = new Set(checked.value.map((tier) => tier.name));
  const removed = current.tiers.map((tier) => tier.name).filter((name) => !kept.has(name));
  if (removed.length > 0) {
    const segments = await trx.selectFrom('segment').select(['name', 'rule']).orderBy('name').execute();
    const usedBySegments = segments.flatMap((segment) => ruleDependencies(segment.rule as Rule).tiers.filter((tier) => removed.includes(tier)).map((tier) => ({ tier, segment: segment.name })));
    const usedByOverrides = await trx
      .selectFrom('tier_override')
      .select(['tier', (eb) => eb.fn.countAll<string>().as('customers')])
      .where('tier', 'in', removed)
      .groupBy('tier')
      .orderBy('tier')
      .execute();
    const errors = [
      ...usedBySegments.map(({ tier, segment }) => ({ field: path, message: `tier "${tier}" is removed but segment "${segment}" uses it in its rule` })),
      ...usedByOverrides.map(({ tier, customers }) => ({ field: path, message: `tier "${tier}" is removed but ${customers} customer(s) have a manual override to it` })),
    ];
    if (errors.length > 0) throw problem(Problems.conflict, errors.map((e) => e.message).join('; '), { errors });
  }

  const version = current.version + 1;
  await trx.deleteFrom('tier').execute();
  await trx
    .insertInto('tier')
    .values(checked.value.map(({ name, rank, rule }) => ({ name, rank, rule: JSON.stringify(rule), version })))
    .execute();
  return { version, tiers: checked.value };
}
