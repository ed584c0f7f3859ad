import { isStorableText, SafeDate, UNSTORABLE_TEXT_MESSAGE } from '@crm/domain';
import type { FieldError } from '@crm/platform';
import { z } from 'zod';
import { fieldDefinition, OPERATORS_BY_TYPE, type FieldDefinition } from './field.catalog';
import { OPERATORS, RULE_LIMITS, type Comparison, type Operator, type Purchase, type Rule, type Scalar } from './rule.model';
import { invalidRule, type Validated } from './rule.problems';
import { isPlainObject, joinPath, zodErrors } from './validation.helpers';

export interface ParseRuleOptions {
  /** Known tier names; when given, a tier value that is not among them is an error. */
  tiers?: readonly string[];
  /** Where the rule sits in the request, for error paths; `rule` by default. */
  path?: string;
}

const SHAPES = '{all}, {any}, {not}, {field, op, value} or {bought}';
const KIND_KEYS = ['all', 'any', 'not', 'field', 'bought'] as const;

const RuleList = z.array(z.unknown(), { error: 'must be a list of rules' }).min(1, 'must list at least one rule');
const AllShape = z.strictObject({ all: RuleList });
const AnyShape = z.strictObject({ any: RuleList });
const NotShape = z.strictObject({ not: z.unknown() });
const BoughtShape = z.strictObject({
  bought: z.strictObject(
    {
      category: z
        .string({ error: 'must be a string' })
        .min(1, 'must not be empty')
        .max(RULE_LIMITS.maxStringLength, `must be at most ${RULE_LIMITS.maxStringLength} characters`)
        .refine(isStorableText, UNSTORABLE_TEXT_MESSAGE)
        .optional(),
      withinDays: z
        .int({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a whole number of days') })
        .min(1, 'must be at least 1')
        .max(RULE_LIMITS.maxWithinDays, `must be at most ${RULE_LIMITS.maxWithinDays}`),
      minCount: z.int({ error: 'must be a whole number' }).min(1, 'must be at least 1').max(RULE_LIMITS.maxMinCount, `must be at most ${RULE_LIMITS.maxMinCount}`).optional(),
    },
    { error: 'must be an object {category?, withinDays, minCount?}' },
  ),
});
const IsoDate = SafeDate;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Walk {
  errors: FieldError[];
  nodes: number;
  tiers?: ReadonlySet<string>;
}

/**
 * Validates rule JSON: shape (zod) and meaning (catalog fields, operators per type, value types,
 * limits, tier names). Returns every error found, each with its path, or a clean copy of the rule.
 */
export function parseRule(json: unknown, options: ParseRuleOptions = {}): Validated<Rule> {
  const root = options.path ?? 'rule';
  const walk: Walk = { errors: [], nodes: 0, ...(options.tiers ? { tiers: new Set(options.tiers) } : {}) };
  const rule = visit(json, root, 1, walk);
  if (walk.nodes > RULE_LIMITS.maxNodes) {
    walk.errors.unshift({ field: root, message: `has more than ${RULE_LIMITS.maxNodes} rules; at most ${RULE_LIMITS.maxNodes} are allowed` });
  }
  return walk.errors.length === 0 && rule ? { ok: true, value: rule } : { ok: false, errors: walk.errors };
}

/** parseRule that throws the `invalid-rule` problem (422, every error listed). */
export function assertRule(json: unknown, options: ParseRuleOptions = {}): Rule {
  const parsed = parseRule(json, options);
  if (!parsed.ok) throw invalidRule(parsed.errors);
  return parsed.value;
}

function visit(input: unknown, path: string, depth: number, walk: Walk): Rule | undefined {
  // Past the size limit nothing more is examined: the work stays bounded whatever the input.
  if (++walk.nodes > RULE_LIMITS.maxNodes) return undefined;
  if (depth > RULE_LIMITS.maxDepth) {
    walk.errors.push({ field: path, message: `is nested deeper than ${RULE_LIMITS.maxDepth} levels` });
    return undefined;
  }
  if (!isPlainObject(input)) {
    walk.errors.push({ field: path, message: `must be a rule: ${SHAPES}` });
    return undefined;
  }
  const kinds = KIND_KEYS.filter((key) => Object.hasOwn(input, key));
  if (kinds.length > 1) {
    walk.errors.push({ field: path, message: `must be exactly one rule, but has ${kinds.join(' and ')}` });
    return undefined;
  }
  const kind = kinds[0] ?? (Object.hasOwn(input, 'op') ? 'field' : undefined);
  switch (kind) {
    case 'all':
    case 'any': {
      const shape = kind === 'all' ? AllShape : AnyShape;
      const checked = shape.safeParse(input);
      if (!checked.success) walk.errors.push(...zodErrors(checked.error, path));
      const list = input[kind];
      if (!Array.isArray(list)) return undefined;
      const rules = list.map((child, index) => visit(child, joinPath(path, [kind, index]), depth + 1, walk));
      if (!rules.every((rule) => rule !== undefined)) return undefined;
      return kind === 'all' ? { all: rules } : { any: rules };
    }
    case 'not': {
      const checked = NotShape.safeParse(input);
      if (!checked.success) walk.errors.push(...zodErrors(checked.error, path));
      const rule = visit(input.not, joinPath(path, ['not']), depth + 1, walk);
      return rule && { not: rule };
    }
    case 'bought': {
      const checked = BoughtShape.safeParse(input);
      if (!checked.success) {
        walk.errors.push(...zodErrors(checked.error, path));
        return undefined;
      }
      const { category, withinDays, minCount } = checked.data.bought;
      const purchase: Purchase = { withinDays, ...(category !== undefined ? { category } : {}), ...(minCount !== undefined ? { minCount } : {}) };
      return { bought: purchase };
    }
    case 'field':
      return comparison(input, path, walk);
    case undefined:
      walk.errors.push({ field: path, message: `must be a rule: ${SHAPES}` });
      return undefined;
  }
}

function comparison(input: Record<string, unknown>, path: string, walk: Walk): Comparison | undefined {
  const errors: FieldError[] = [];
  for (const key of Object.keys(input)) {
    if (key !== 'field' && key !== 'op' && key !== 'value') errors.push({ field: joinPath(path, [key]), message: 'is not allowed here' });
  }
  const { field, op, value } = input;
  let definition: FieldDefinition | undefined;
  if (typeof field !== 'string') {
    errors.push({ field: joinPath(path, ['field']), message: field === undefined ? 'is required' : 'must be a field name' });
  } else {
    definition = fieldDefinition(field);
    if (!definition) errors.push({ field: joinPath(path, ['field']), message: `unknown field "${field}"` });
  }
  let operator: Operator | undefined;
  if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) {
    errors.push({ field: joinPath(path, ['op']), message: op === undefined ? 'is required' : `must be one of ${OPERATORS.join(', ')}` });
  } else {
    operator = op as Operator;
  }
  if (definition && operator && typeof field === 'string') {
    const allowed = OPERATORS_BY_TYPE[definition.type];
    if (!allowed.includes(operator)) {
      errors.push({ field: joinPath(path, ['op']), message: `"${operator}" is not allowed for field "${field}" (${definition.type}); use one of ${allowed.join(', ')}` });
    } else {
      errors.push(...valueErrors({ name: field, definition, op: operator, input, path, tiers: walk.tiers }));
    }
  }
  walk.errors.push(...errors);
  if (errors.length > 0 || typeof field !== 'string' || !operator) return undefined;
  return Object.hasOwn(input, 'value') ? { field, op: operator, value: copy(value as Scalar | Scalar[]) } : { field, op: operator };
}

const copy = (value: Scalar | Scalar[]): Scalar | Scalar[] => (Array.isArray(value) ? [...value] : value);

interface ValueCheck {
  name: string;
  definition: FieldDefinition;
  op: Operator;
  input: Record<string, unknown>;
  path: string;
  tiers: ReadonlySet<string> | undefined;
}

function valueErrors({ name, definition, op, input, path, tiers }: ValueCheck): FieldError[] {
  const at = joinPath(path, ['value']);
  const present = Object.hasOwn(input, 'value');
  const value = input.value;
  const scalar = (item: unknown, itemPath: string): FieldError[] => {
    const message = scalarError(name, definition, item, tiers);
    return message ? [{ field: itemPath, message }] : [];
  };
  switch (op) {
    case 'isNull':
    case 'isNotNull':
      return present ? [{ field: at, message: `must be omitted for op "${op}"` }] : [];
    case 'in':
    case 'notIn': {
      if (!present) return [{ field: at, message: `is required for op "${op}"` }];
      if (!Array.isArray(value)) return [{ field: at, message: `must be a list for op "${op}"` }];
      if (value.length === 0) return [{ field: at, message: `must list at least one value for op "${op}"` }];
      if (value.length > RULE_LIMITS.maxListLength) return [{ field: at, message: `must list at most ${RULE_LIMITS.maxListLength} values` }];
      return value.flatMap((item, index) => scalar(item, joinPath(at, [index])));
    }
    case 'between': {
      if (!Array.isArray(value) || value.length !== 2) return [{ field: at, message: `must be [lo, hi] for op "between"` }];
      const [lo, hi] = value as [unknown, unknown];
      const errors = [...scalar(lo, joinPath(at, [0])), ...scalar(hi, joinPath(at, [1]))];
      if (errors.length === 0 && (lo as number | string) > (hi as number | string)) {
        errors.push({ field: at, message: `lower bound ${JSON.stringify(lo)} is above upper bound ${JSON.stringify(hi)}` });
      }
      return errors;
    }
    case 'eq':
    case 'ne':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (!present) return [{ field: at, message: `is required for op "${op}"` }];
      if (value === null) return [{ field: at, message: 'must not be null; use op "isNull" for missing values' }];
      return scalar(value, at);
  }
}

/** Why `value` is not a valid value of the field, or undefined when it is. */
function scalarError(name: string, definition: FieldDefinition, value: unknown, tiers: ReadonlySet<string> | undefined): string | undefined {
  const forField = `for field "${name}"`;
  switch (definition.type) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number ${forField}`;
      if (definition.integer && !Number.isInteger(value)) return `must be a whole number ${forField}`;
      const [lo, hi] = definition.range ?? [-Infinity, Infinity];
      if (value < lo || value > hi) return hi === Infinity ? `must be at least ${lo} ${forField}` : `must be between ${lo} and ${hi} ${forField}`;
      return undefined;
    }
    case 'date':
      return typeof value === 'string' && IsoDate.safeParse(value).success ? undefined : `must be a date "YYYY-MM-DD" ${forField}`;
    case 'string':
      if (typeof value !== 'string' || value.length === 0) return `must be a non-empty string ${forField}`;
      if (value.length > RULE_LIMITS.maxStringLength) return `must be at most ${RULE_LIMITS.maxStringLength} characters ${forField}`;
      if (!isStorableText(value)) return `${UNSTORABLE_TEXT_MESSAGE} ${forField}`;
      if (definition.pattern && !definition.pattern.regex.test(value)) return `must look like ${definition.pattern.example} ${forField}`;
      return undefined;
    case 'enum':
      return typeof value === 'string' && definition.values?.includes(value) ? undefined : `must be one of ${definition.values?.join(', ')} ${forField}`;
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? undefined : `must be a UUID ${forField}`;
    case 'tier':
      if (typeof value !== 'string' || value.length === 0 || value.length > RULE_LIMITS.maxStringLength || !isStorableText(value)) return `must be a tier name ${forField}`;
      if (tiers && !tiers.has(value)) return `unknown tier "${value}"; the tiers are ${[...tiers].join(', ') || '(none)'}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false ${forField}`;
  }
}
