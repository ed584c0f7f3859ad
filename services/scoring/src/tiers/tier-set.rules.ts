import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '@crm/domain';
import type { FieldError } from '@crm/platform';
import { z } from 'zod';
import { FIELD_CATALOG, TIER_FIELDS, type FieldDefinition, type FieldName } from '../segments/rules/field.catalog';
import type { Rule } from '../segments/rules/rule.model';
import { invalidTierSet, type Validated } from '../segments/rules/rule.problems';
import { joinPath, zodErrors } from '../segments/rules/validation.helpers';

/**
 * Tiers: admin-managed, ordered by rank (1 = top). Arbitrary rules cannot be checked for overlaps and
 * gaps, so a tier's condition is restricted to a range over ONE numeric score field shared by the
 * whole set:
 *
 *   { "name": "Gold", "rank": 2, "rule": { "field": "revenue", "min": 200000, "max": 500000 } }
 *
 * meaning min ≤ value < max (half-open, so adjacent tiers meet exactly: Gold's max is VIP's min).
 * A valid set partitions every value, and the ranks rise with the values:
 *   - the top tier has no max, the lowest tier has no min (it also takes customers without a score);
 *   - every other bound is given, min < max within a tier, and each tier's max equals the min of the
 *     tier ranked just above it. A larger max is an overlap, a smaller one a gap; both are reported
 *     with the values affected.
 * Under this restriction the check is exact. Evaluation takes the first tier in rank order whose
 * range holds the value, falling back to the lowest tier; for a valid set that is the one tier
 * that matches.
 */
export interface TierCondition {
  field: FieldName;
  /** Inclusive lower bound; omitted only on the lowest tier. */
  min?: number;
  /** Exclusive upper bound; omitted only on the top tier. */
  max?: number;
}

export interface TierDefinition {
  name: string;
  rank: number;
  rule: TierCondition;
}

export const TIER_LIMITS = Object.freeze({ maxTiers: 20, maxNameLength: 50 });

/** The seeds' five levels on net revenue in the base currency (CNY); admins change them via /v1/tiers. */
export const DEFAULT_TIER_SET: readonly TierDefinition[] = Object.freeze([
  { name: 'VIP', rank: 1, rule: { field: 'revenue', min: 500_000 } },
  { name: 'Gold', rank: 2, rule: { field: 'revenue', min: 200_000, max: 500_000 } },
  { name: 'Silver', rank: 3, rule: { field: 'revenue', min: 50_000, max: 200_000 } },
  { name: 'Bronze', rank: 4, rule: { field: 'revenue', min: 10_000, max: 50_000 } },
  { name: 'Regular', rank: 5, rule: { field: 'revenue', max: 10_000 } },
]);

const TierSetShape = z
  .array(
    z.strictObject({
      name: z
        .string({ error: 'must be a string' })
        .regex(/^\S(.*\S)?$/, 'must be a non-empty name without surrounding spaces')
        .max(TIER_LIMITS.maxNameLength, `must be at most ${TIER_LIMITS.maxNameLength} characters`)
        .refine(isStorableText, UNSTORABLE_TEXT_MESSAGE),
      rank: z.int({ error: 'must be a whole number' }).min(1, 'must be at least 1').max(1000, 'must be at most 1000'),
      rule: z.strictObject({
        field: z.string({ error: 'must be a field name' }),
        min: z.number({ error: 'must be a number' }).optional(),
        max: z.number({ error: 'must be a number' }).optional(),
      }),
    }),
    { error: 'must be a list of tiers' },
  )
  .min(1, 'must define at least one tier')
  .max(TIER_LIMITS.maxTiers, `must define at most ${TIER_LIMITS.maxTiers} tiers`);

type Indexed = TierDefinition & { index: number };

/** Checks a tier set and returns it sorted by rank (top first), or every error with its path. */
export function validateTierSet(input: unknown, options: { path?: string } = {}): Validated<TierDefinition[]> {
  const root = options.path ?? 'tiers';
  const shaped = TierSetShape.safeParse(input);
  if (!shaped.success) return { ok: false, errors: zodErrors(shaped.error, root) };

  const at = (index: number, ...keys: string[]) => joinPath(root, [index, ...keys]);
  const errors: FieldError[] = [];
  const tiers = shaped.data.map((tier, index) => ({ ...tier, rule: { ...tier.rule }, index }));
  const [first] = tiers;
  tiers.forEach((tier, index) => {
    const sameName = tiers.findIndex((other) => other.name.toLowerCase() === tier.name.toLowerCase());
    if (sameName < index) errors.push({ field: at(index, 'name'), message: `repeats the name of ${at(sameName)}` });
    const sameRank = tiers.findIndex((other) => other.rank === tier.rank);
    if (sameRank < index) errors.push({ field: at(index, 'rank'), message: `repeats the rank of ${at(sameRank)}` });
    errors.push(...conditionErrors(tier, first?.rule.field, at));
  });
  if (errors.length > 0) return { ok: false, errors };

  const sorted = [...tiers].sort((a, b) => a.rank - b.rank) as Indexed[];
  // Gap and overlap messages only make sense once ranks rise with the values.
  const inverted = inversionErrors(sorted, at);
  errors.push(...(inverted.length > 0 ? inverted : coverageErrors(sorted, at)));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: sorted.map(({ name, rank, rule }) => ({ name, rank, rule })) };
}

function conditionErrors(tier: { index: number; rule: { field: string; min?: number; max?: number } }, setField: string | undefined, at: (index: number, ...keys: string[]) => string): FieldError[] {
  const { field, min, max } = tier.rule;
  if (!(TIER_FIELDS as string[]).includes(field)) {
    return [{ field: at(tier.index, 'rule', 'field'), message: `must be a numeric score field: one of ${TIER_FIELDS.join(', ')}` }];
  }
  const errors: FieldError[] = [];
  if (setField !== undefined && field !== setField) {
    errors.push({ field: at(tier.index, 'rule', 'field'), message: `must be "${setField}" like ${at(0)}: all tiers range over the same field` });
  }
  const definition: FieldDefinition = FIELD_CATALOG[field as FieldName];
  const [lo, hi] = definition.range ?? [-Infinity, Infinity];
  for (const [key, bound] of [['min', min], ['max', max]] as const) {
    if (bound === undefined) continue;
    if (definition.integer && !Number.isInteger(bound)) errors.push({ field: at(tier.index, 'rule', key), message: `must be a whole number for field "${field}"` });
    else if (bound < lo || bound > hi) errors.push({ field: at(tier.index, 'rule', key), message: `must be between ${lo} and ${hi} for field "${field}"` });
  }
  if (min !== undefined && max !== undefined && min >= max) {
    errors.push({ field: at(tier.index, 'rule'), message: `min ${min} must be below max ${max}: the range [${min}, ${max}) is empty` });
  }
  return errors;
}

/** A lower-ranked tier reaching above a higher-ranked one (by its start or its end). */
function inversionErrors(sorted: Indexed[], at: (index: number, ...keys: string[]) => string): FieldError[] {
  return sorted.slice(1).flatMap((lower, i) => {
    const higher = sorted[i] as Indexed;
    const startsAbove = higher.rule.min !== undefined && lower.rule.min !== undefined && lower.rule.min > higher.rule.min;
    const endsAbove = higher.rule.max !== undefined && (lower.rule.max === undefined || lower.rule.max > higher.rule.max);
    if (!startsAbove && !endsAbove) return [];
    return [{ field: at(lower.index, 'rank'), message: `${lower.name} (rank ${lower.rank}) reaches higher values than ${higher.name} (rank ${higher.rank}): a higher rank must cover higher values` }];
  });
}

/** Exact overlap/gap check of ranges sorted by rank: they must chain from +∞ down to −∞. */
function coverageErrors(sorted: Indexed[], at: (index: number, ...keys: string[]) => string): FieldError[] {
  const errors: FieldError[] = [];
  const top = sorted[0];
  const lowest = sorted[sorted.length - 1];
  if (top?.rule.max !== undefined) {
    errors.push({ field: at(top.index, 'rule', 'max'), message: `must be omitted: ${top.name} is the top tier, otherwise values ≥ ${top.rule.max} match no tier (gap)` });
  }
  if (lowest?.rule.min !== undefined) {
    errors.push({ field: at(lowest.index, 'rule', 'min'), message: `must be omitted: ${lowest.name} is the lowest tier and catches everything below, otherwise values < ${lowest.rule.min} match no tier (gap)` });
  }
  for (let i = 0; i + 1 < sorted.length; i++) {
    const higher = sorted[i] as Indexed;
    const lower = sorted[i + 1] as Indexed;
    const { min: from } = higher.rule;
    const { max: upTo } = lower.rule;
    if (from === undefined) {
      errors.push({ field: at(higher.index, 'rule', 'min'), message: `is required: ${higher.name} ranks above ${lower.name}, without a min it overlaps every tier below (overlap)` });
    } else if (upTo === undefined) {
      errors.push({ field: at(lower.index, 'rule', 'max'), message: `is required: ${lower.name} ranks below ${higher.name}, without a max it overlaps every tier above (overlap)` });
    } else if (upTo > from) {
      errors.push({ field: at(lower.index, 'rule', 'max'), message: `${lower.name} (up to ${upTo}) overlaps ${higher.name} (from ${from}): values in [${from}, ${upTo}) match both (overlap)` });
    } else if (upTo < from) {
      errors.push({ field: at(lower.index, 'rule', 'max'), message: `${lower.name} ends at ${upTo} but ${higher.name} starts at ${from}: values in [${upTo}, ${from}) match no tier (gap)` });
    }
  }
  return errors;
}

export function assertTierSet(tiers: readonly TierDefinition[]): TierDefinition[] {
  const checked = validateTierSet(tiers);
  if (!checked.ok) throw invalidTierSet(checked.errors);
  return checked.value;
}

const holds = ({ min, max }: TierCondition, value: number): boolean => (min === undefined || value >= min) && (max === undefined || value < max);

/** Validates once, then maps a score value to its tier: first match by rank, else the lowest tier. */
export function createTierAssigner(tiers: readonly TierDefinition[]): (value: number | null | undefined) => string {
  const sorted = assertTierSet(tiers);
  const lowest = sorted[sorted.length - 1] as TierDefinition;
  return (value) => (value === null || value === undefined ? lowest : (sorted.find((tier) => holds(tier.rule, value)) ?? lowest)).name;
}

/** A tier's condition in the rule language (lowest tier: below its max, or not scored yet). */
export function tierConditionRule({ rule: { field, min, max } }: TierDefinition): Rule {
  const bounds: Rule[] = [
    ...(min !== undefined ? [{ field, op: 'gte' as const, value: min }] : []),
    ...(max !== undefined ? [{ field, op: 'lt' as const, value: max }] : []),
  ];
  if (min !== undefined) return bounds.length === 1 ? (bounds[0] as Rule) : { all: bounds };
  return { any: [{ field, op: 'isNull' }, ...(bounds.length > 0 ? bounds : [{ field, op: 'isNotNull' as const }])] };
}
