import { problem, Problems, requireIfMatch } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { invalidTierSet, ruleDependencies, type Rule } from '../segments/rules';
import { segmentsRepository } from '../segments/segments.repository';
import { DEFAULT_TIER_SET, validateTierSet, type TierDefinition } from './tier-set.rules';
import { tiersRepository } from './tiers.repository';

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
  await tiersRepository.seedIfEmpty(db, DEFAULT_TIER_SET);
}

async function readTierSet(db: ScoringDb): Promise<TierSet | undefined> {
  const rows = await tiersRepository.readTierSet(db);
  if (rows.length === 0) return undefined;
  return {
    version: Math.max(...rows.map((row) => row.version)),
    tiers: rows.map(({ name, rank, rule }) => ({ name, rank, rule })),
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
  await tiersRepository.lockForReplace(trx);
  const current = await loadTierSet(trx);
  requireIfMatch(ifMatch, current.version);

  const kept = new Set(checked.value.map((tier) => tier.name));
  const removed = current.tiers.map((tier) => tier.name).filter((name) => !kept.has(name));
  if (removed.length > 0) {
    const segments = await segmentsRepository.namedRules(trx);
    const usedBySegments = segments.flatMap((segment) => ruleDependencies(segment.rule as Rule).tiers.filter((tier) => removed.includes(tier)).map((tier) => ({ tier, segment: segment.name })));
    const usedByOverrides = await tiersRepository.overrideCounts(trx, removed);
    const errors = [
      ...usedBySegments.map(({ tier, segment }) => ({ field: path, message: `tier "${tier}" is removed but segment "${segment}" uses it in its rule` })),
      ...usedByOverrides.map(({ tier, customers }) => ({ field: path, message: `tier "${tier}" is removed but ${customers} customer(s) have a manual override to it` })),
    ];
    if (errors.length > 0) throw problem(Problems.conflict, errors.map((e) => e.message).join('; '), { errors });
  }

  const version = current.version + 1;
  await tiersRepository.replaceAll(trx, checked.value, version);
  return { version, tiers: checked.value };
}
