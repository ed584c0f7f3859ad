import { calendarDate } from '@crm/domain';
import { sql, type RawBuilder } from 'kysely';
import { PURCHASE_COLUMNS, RELATIONS, SQL_TYPE, fieldDefinition, type FieldDefinition } from './rules/field.catalog';
import { ruleNode, type Comparison, type Purchase, type Rule, type Scalar } from './rules/rule.model';
import { invalidRule } from './rules/rule.problems';
import { assertRule } from './rules/rule.validator';

export interface CompileOptions {
  /** The evaluation time: `bought` windows end here, ages are taken on its calendar date. */
  now: Date;
  /** The configured tier names; a rule naming another tier does not compile. */
  tiers: readonly string[];
  /** IANA zone whose calendar date ages are computed on (birthdays turn at local midnight); UTC by default. */
  timeZone?: string;
}

interface Context {
  now: string;
  today: string;
}

const DAY_MS = 86_400_000;
const ref = (relation: keyof typeof RELATIONS, column: string) => sql.ref(`${RELATIONS[relation].alias}.${column}`);
const table = (relation: keyof typeof RELATIONS) => sql`${sql.table(RELATIONS[relation].table)} as ${sql.id(RELATIONS[relation].alias)}`;

/**
 * Compiles a rule to a boolean SQL predicate over `evaluationSource()` (aliases c and s). The rule is
 * validated again first, so whatever the caller passes, identifiers come only from the catalog and
 * every value is a bound parameter. The predicate is never NULL: true means member.
 */
export function compileRule(rule: Rule, options: CompileOptions): RawBuilder<boolean> {
  const checked = assertRule(rule, { tiers: options.tiers });
  const context: Context = { now: options.now.toISOString(), today: calendarDate(options.now, options.timeZone ?? 'UTC') };
  return sql<boolean>`coalesce(${predicate(checked, context)}, false)`;
}

/** `scoring.customer c left join scoring.customer_score s`: the row a compiled rule is evaluated on. */
export function evaluationSource(): RawBuilder<unknown> {
  return sql`${table('customer')} left join ${table('score')} on ${ref('score', RELATIONS.score.key)} = ${ref('customer', RELATIONS.customer.key)}`;
}

/** The ids of the customers a rule selects, optionally only among `customerIds` (re-check after an event). */
export function selectMembers(rule: Rule, options: CompileOptions & { customerIds?: readonly string[] }): RawBuilder<{ customer_id: string }> {
  const id = ref('customer', RELATIONS.customer.key);
  const among = options.customerIds ? sql` and ${id} = any(cast(${[...options.customerIds]} as uuid[]))` : sql``;
  return sql<{ customer_id: string }>`select ${id} as customer_id from ${evaluationSource()} where ${compileRule(rule, options)}${among} order by ${id}`;
}

function predicate(rule: Rule, context: Context): RawBuilder<boolean> {
  const node = ruleNode(rule);
  switch (node.kind) {
    case 'all':
      return sql<boolean>`(${sql.join(node.rules.map((child) => predicate(child, context)), sql` and `)})`;
    case 'any':
      return sql<boolean>`(${sql.join(node.rules.map((child) => predicate(child, context)), sql` or `)})`;
    case 'not':
      // NULL (a comparison on a missing value) counts as false, so `not` is the exact complement.
      return sql<boolean>`(not coalesce(${predicate(node.rule, context)}, false))`;
    case 'comparison':
      return comparison(node.comparison, context);
    case 'bought':
      return purchase(node.purchase, context);
  }
}

function fieldExpression(definition: FieldDefinition, context: Context): RawBuilder<unknown> {
  const column = ref(definition.relation, definition.column);
  if ('derive' in definition) return sql`extract(year from age(cast(${context.today} as date), ${column}))`;
  if ('jsonBooleanKey' in definition) return sql`coalesce(cast(${column} ->> ${sql.lit(definition.jsonBooleanKey)} as boolean), false)`;
  return column;
}

function comparison({ field, op, value }: Comparison, context: Context): RawBuilder<boolean> {
  const definition = fieldDefinition(field);
  // Unreachable after validation; kept so no path can build SQL from an unchecked name.
  if (!definition) throw invalidRule([{ field: 'rule', message: `unknown field "${field}"` }]);
  const expression = fieldExpression(definition, context);
  const type = sql.raw(SQL_TYPE[definition.type]);
  const bind = (item: Scalar | Scalar[] | undefined) => sql`cast(${item} as ${type})`;
  const list = () => sql`cast(${value} as ${type}[])`;
  switch (op) {
    case 'eq':
      return sql<boolean>`${expression} = ${bind(value)}`;
    case 'ne':
      return sql<boolean>`${expression} <> ${bind(value)}`;
    case 'gt':
      return sql<boolean>`${expression} > ${bind(value)}`;
    case 'gte':
      return sql<boolean>`${expression} >= ${bind(value)}`;
    case 'lt':
      return sql<boolean>`${expression} < ${bind(value)}`;
    case 'lte':
      return sql<boolean>`${expression} <= ${bind(value)}`;
    case 'in':
      return sql<boolean>`${expression} = any(${list()})`;
    case 'notIn':
      return sql<boolean>`${expression} <> all(${list()})`;
    case 'between': {
      const [lo, hi] = value as [Scalar, Scalar];
      return sql<boolean>`${expression} between ${bind(lo)} and ${bind(hi)}`;
    }
    case 'isNull':
      return sql<boolean>`${expression} is null`;
    case 'isNotNull':
      return sql<boolean>`${expression} is not null`;
  }
}

/** EXISTS over the customer's sales in the window; HAVING turns it into "at least minCount of them". */
function purchase({ category, withinDays, minCount }: Purchase, context: Context): RawBuilder<boolean> {
  const column = (name: string) => ref('transaction', name);
  const since = new Date(Date.parse(context.now) - withinDays * DAY_MS).toISOString();
  const inCategory = category === undefined ? sql`` : sql` and ${column(PURCHASE_COLUMNS.category)} = cast(${category} as text)`;
  const atLeast = minCount === undefined || minCount <= 1 ? sql`` : sql` having count(*) >= cast(${minCount} as integer)`;
  return sql<boolean>`exists (select 1 from ${table('transaction')} where ${column(RELATIONS.transaction.key)} = ${ref('customer', RELATIONS.customer.key)} and ${column(PURCHASE_COLUMNS.type)} = ${sql.lit(PURCHASE_COLUMNS.saleType)}${inCategory} and ${column(PURCHASE_COLUMNS.occurredAt)} >= cast(${since} as timestamptz) and ${column(PURCHASE_COLUMNS.occurredAt)} <= cast(${context.now} as timestamptz)${atLeast})`;
}
