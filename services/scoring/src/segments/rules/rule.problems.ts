import { problem, problemType, type FieldError, type ProblemError } from '@crm/platform';

export const RuleProblems = {
  invalidRule: problemType('invalid-rule', 422, 'The rule is not valid'),
  invalidTierSet: problemType('invalid-tier-set', 422, 'The tiers are not valid: they must cover every value exactly once'),
} as const;

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** `rule.all[2].value: must be …`: the one-line form of an error, for logs and tests. */
export const formatError = (error: FieldError): string => `${error.field}: ${error.message}`;

export function invalidRule(errors: FieldError[]): ProblemError {
  return problem(RuleProblems.invalidRule, errors.map(formatError).join('; '), { errors });
}

export function invalidTierSet(errors: FieldError[]): ProblemError {
  return problem(RuleProblems.invalidTierSet, errors.map(formatError).join('; '), { errors });
}
