import { sql, type RawBuilder } from 'kysely';
import { FIELD_CATALOG, RELATIONS } from '../segments/rules/field.catalog';
import { assertTierSet, type TierDefinition } from './tier-set.rules';

/**
 * The same assignment as SQL: `case when … then 'VIP' … else 'Regular' end`, over the score column
 * (`s.<column>`) unless `value` supplies another expression (e.g. a freshly computed score). Names and
 * thresholds are bound parameters.
 */
export function compileTierExpression(tiers: readonly TierDefinition[], value?: RawBuilder<unknown>): RawBuilder<string> {
  const sorted = assertTierSet(tiers);
  const lowest = sorted[sorted.length - 1] as TierDefinition;
  const field = lowest.rule.field;
  if (sorted.length === 1) return sql<string>`cast(${lowest.name} as text)`;
  const expression = value ?? sql.ref(`${RELATIONS.score.alias}.${FIELD_CATALOG[field].column}`);
  const branches = sorted.slice(0, -1).map(({ name, rule }) => {
    const bounds = [
      ...(rule.min !== undefined ? [sql`${expression} >= cast(${rule.min} as numeric)`] : []),
      ...(rule.max !== undefined ? [sql`${expression} < cast(${rule.max} as numeric)`] : []),
    ];
    return sql`when ${sql.join(bounds, sql` and `)} then cast(${name} as text)`;
  });
  return sql<string>`case ${sql.join(branches, sql` `)} else cast(${lowest.name} as text) end`;
}
