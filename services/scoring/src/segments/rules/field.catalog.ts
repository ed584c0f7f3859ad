import { LifecycleStage, PartyKind } from '@crm/domain';
import type { Operator } from './rule.model';

/**
 * Every field a rule may name, and where it lives. This table is the only source of SQL identifiers
 * the compiler uses: a name that is not here never reaches SQL.
 *
 * Rules are evaluated over one row per customer:
 *   scoring.customer c                                  (read model of crm.customers events)
 *   left join scoring.customer_score s on s.customer_id = c.id   (null until the customer is scored)
 * and `bought` looks into scoring.transaction t (t.customer_id = c.id).
 */
export const RELATIONS = Object.freeze({
  customer: { table: 'scoring.customer', alias: 'c', key: 'id' },
  score: { table: 'scoring.customer_score', alias: 's', key: 'customer_id' },
  transaction: { table: 'scoring.transaction', alias: 't', key: 'customer_id' },
});
export type Relation = keyof typeof RELATIONS;

/** The columns of scoring.transaction `bought` reads; only `type = 'sale'` rows are purchases. */
export const PURCHASE_COLUMNS = Object.freeze({ category: 'category', occurredAt: 'occurred_at', type: 'type', saleType: 'sale' });

export type FieldType = 'number' | 'date' | 'string' | 'enum' | 'uuid' | 'tier' | 'boolean';

/** How a field's SQL expression is formed from its column. */
export type FieldSource =
  | { relation: 'customer' | 'score'; column: string }
  /** Whole years between the column (a date) and the evaluation date. */
  | { relation: 'customer'; column: string; derive: 'ageInYears' }
  /** A boolean under `key` in a jsonb column; a missing key is false (consent is opt-in). */
  | { relation: 'customer'; column: string; jsonBooleanKey: string };

export type FieldDefinition = FieldSource & {
  type: FieldType;
  description: string;
  /** enum: the allowed values. */
  values?: readonly string[];
  /** number: inclusive bounds a value must lie in, and whether it must be whole. */
  range?: readonly [number, number];
  integer?: boolean;
  /** string: a format values must have, so a typo is an error rather than an empty segment. */
  pattern?: { regex: RegExp; example: string };
};

export const FIELD_CATALOG = {
  region: { type: 'string', relation: 'customer', column: 'region', description: 'Region of the customer' },
  city: { type: 'string', relation: 'customer', column: 'city', description: 'City of the customer' },
  country: { type: 'string', relation: 'customer', column: 'country', description: 'Country of the customer' },
  age: {
    type: 'number', relation: 'customer', column: 'birth_date', derive: 'ageInYears', range: [0, 150],
    description: 'Age in whole years at the evaluation date; missing without a birth date',
  },
  birthDate: { type: 'date', relation: 'customer', column: 'birth_date', description: 'Birth date (YYYY-MM-DD)' },
  kind: { type: 'enum', relation: 'customer', column: 'kind', values: PartyKind.options, description: 'person or organization' },
  lifecycleStage: { type: 'enum', relation: 'customer', column: 'lifecycle_stage', values: LifecycleStage.options, description: 'Lifecycle stage' },
  dealerId: { type: 'uuid', relation: 'customer', column: 'dealer_id', description: 'The dealer the customer belongs to' },
  'consent.sms': { type: 'boolean', relation: 'customer', column: 'consents', jsonBooleanKey: 'sms', description: 'Consent to SMS' },
  'consent.email': { type: 'boolean', relation: 'customer', column: 'consents', jsonBooleanKey: 'email', description: 'Consent to e-mail' },
  'consent.phone': { type: 'boolean', relation: 'customer', column: 'consents', jsonBooleanKey: 'phone', description: 'Consent to phone calls' },
  'consent.mail': { type: 'boolean', relation: 'customer', column: 'consents', jsonBooleanKey: 'mail', description: 'Consent to postal mail' },

  recency: { type: 'number', relation: 'score', column: 'recency', range: [1, 5], integer: true, description: 'RFM recency quintile (5 = most recent)' },
  frequency: { type: 'number', relation: 'score', column: 'frequency', range: [1, 5], integer: true, description: 'RFM frequency quintile' },
  monetary: { type: 'number', relation: 'score', column: 'monetary', range: [1, 5], integer: true, description: 'RFM monetary quintile' },
  rfmCell: {
    type: 'string', relation: 'score', column: 'rfm_cell', pattern: { regex: /^[1-5]{3}$/, example: '"555"' },
    description: 'RFM cell: recency, frequency and monetary quintiles as three digits',
  },
  revenue: { type: 'number', relation: 'score', column: 'revenue', description: 'Net revenue in the base currency' },
  orderCount: { type: 'number', relation: 'score', column: 'order_count', range: [0, Number.MAX_SAFE_INTEGER], integer: true, description: 'Number of orders' },
  tier: { type: 'tier', relation: 'score', column: 'tier', description: 'Current tier name (one of the configured tiers)' },
  clv: { type: 'number', relation: 'score', column: 'clv', description: 'Customer lifetime value in the base currency' },
  pAlive: { type: 'number', relation: 'score', column: 'p_alive', range: [0, 1], description: 'Probability the customer is still active' },
  quadrant: {
    type: 'enum', relation: 'score', column: 'quadrant', values: ['one_to_one', 'loyalty', 'niche', 'mass'],
    description: 'Value × needs-differentiation quadrant',
  },
  needsDiversity: { type: 'number', relation: 'score', column: 'needs_diversity', range: [0, 1], description: 'How differentiated the customer’s needs are' },
} as const satisfies Record<string, FieldDefinition>;

export type FieldName = keyof typeof FIELD_CATALOG;

const ORDERED: readonly Operator[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'between', 'isNull', 'isNotNull'];
const DISCRETE: readonly Operator[] = ['eq', 'ne', 'in', 'notIn', 'isNull', 'isNotNull'];

/** Which operators make sense on a type; consent booleans are never missing, so only eq. */
export const OPERATORS_BY_TYPE: Readonly<Record<FieldType, readonly Operator[]>> = Object.freeze({
  number: ORDERED,
  date: ORDERED,
  string: DISCRETE,
  enum: DISCRETE,
  uuid: DISCRETE,
  tier: DISCRETE,
  boolean: ['eq'],
});

/** The PostgreSQL type values of a field are bound as (cast explicitly: no guessing from context). */
export const SQL_TYPE: Readonly<Record<FieldType, string>> = Object.freeze({
  number: 'numeric',
  date: 'date',
  string: 'text',
  enum: 'text',
  uuid: 'uuid',
  tier: 'text',
  boolean: 'boolean',
});

export function fieldDefinition(name: string): FieldDefinition | undefined {
  return Object.hasOwn(FIELD_CATALOG, name) ? (FIELD_CATALOG as Record<string, FieldDefinition>)[name] : undefined;
}

/** Numeric score fields: what tier thresholds may be defined on. */
export const TIER_FIELDS = (Object.keys(FIELD_CATALOG) as FieldName[]).filter((name) => {
  const definition: FieldDefinition = FIELD_CATALOG[name];
  return definition.relation === 'score' && definition.type === 'number';
});

/** The catalog as data, for a "which fields can I use" endpoint. */
export function describeFields(): { name: string; type: FieldType; operators: readonly Operator[]; values?: readonly string[]; description: string }[] {
  return Object.entries(FIELD_CATALOG).map(([name, definition]: [string, FieldDefinition]) => ({
    name,
    type: definition.type,
    operators: OPERATORS_BY_TYPE[definition.type],
    ...(definition.values ? { values: definition.values } : {}),
    description: definition.description,
  }));
}
