/**
 * The segment rule language: JSON that admins write, we validate (`parseRule`) and compile to
 * parameterised SQL (`compileRule`). Nothing from the input ever becomes SQL text: values are bound
 * parameters, identifiers come from the field catalog (`field.catalog.ts`).
 *
 * A rule is exactly one of
 *   { "all": [rule, …] }          every sub-rule holds (1..200 sub-rules)
 *   { "any": [rule, …] }          at least one holds (1..200 sub-rules)
 *   { "not": rule }               the exact complement of the sub-rule
 *   { "field": "<name>", "op": "<op>", "value": <v> }        a comparison on one catalog field
 *   { "bought": { "category"?: "<c>", "withinDays": N, "minCount"?: n } }
 *       the customer has at least `minCount` (default 1) sale transactions in `category` (any category
 *       when omitted) in the N×24h before the evaluation time; returns are not purchases.
 *
 * Ops by field type:
 *   number, date               eq ne gt gte lt lte in notIn between isNull isNotNull
 *   string, enum, uuid, tier   eq ne in notIn isNull isNotNull
 *   boolean                    eq
 * `value` is a scalar of the field's type (dates as "YYYY-MM-DD"); `in`/`notIn` take a non-empty list
 * (at most 1000); `between` takes [lo, hi] with lo ≤ hi, both ends inclusive; `isNull`/`isNotNull` take
 * no value. `tier` values must name a tier that exists.
 *
 * Logic is two-valued: a comparison on a missing value (no birth date, not scored yet) is false, and
 * `not` is the exact complement, so `not {age gt 30}` includes customers whose age is unknown. Ask for
 * missing values with `isNull`. Consequently `ne` and `notIn` exclude missing values.
 *
 * Limits: at most 10 levels of nesting (the root is level 1) and 200 nodes in all. Validation reports
 * every problem with its JSON path (`rule.all[2].value: must be a number for field "age"`); once a
 * rule passes 200 nodes the rest is not examined.
 */
export const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'between', 'isNull', 'isNotNull'] as const;
export type Operator = (typeof OPERATORS)[number];

export type Scalar = string | number | boolean;

export interface Comparison {
  field: string;
  op: Operator;
  /** Absent for isNull/isNotNull; a list for in/notIn; [lo, hi] for between. */
  value?: Scalar | Scalar[];
}

export interface Purchase {
  category?: string;
  withinDays: number;
  minCount?: number;
}

export type Rule = { all: Rule[] } | { any: Rule[] } | { not: Rule } | Comparison | { bought: Purchase };

export const RULE_LIMITS = Object.freeze({
  maxDepth: 10,
  maxNodes: 200,
  maxListLength: 1000,
  maxStringLength: 200,
  maxWithinDays: 3650,
  maxMinCount: 10_000,
});

/** Which shape a (validated) rule has; the compiler and the dependency walk switch on it. */
export type RuleNode =
  | { kind: 'all'; rules: Rule[] }
  | { kind: 'any'; rules: Rule[] }
  | { kind: 'not'; rule: Rule }
  | { kind: 'comparison'; comparison: Comparison }
  | { kind: 'bought'; purchase: Purchase };

export function ruleNode(rule: Rule): RuleNode {
  if ('all' in rule) return { kind: 'all', rules: rule.all };
  if ('any' in rule) return { kind: 'any', rules: rule.any };
  if ('not' in rule) return { kind: 'not', rule: rule.not };
  if ('bought' in rule) return { kind: 'bought', purchase: rule.bought };
  return { kind: 'comparison', comparison: rule };
}
