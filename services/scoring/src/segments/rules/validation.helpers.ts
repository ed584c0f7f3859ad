import type { FieldError } from '@crm/platform';
import type { z } from 'zod';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `rule` + ['all', 2, 'value'] → `rule.all[2].value`; odd keys are quoted: `rule["a b"]`. */
export function joinPath(base: string, segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((path, segment) => {
    if (typeof segment === 'number') return `${path}[${segment}]`;
    const key = String(segment);
    return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
  }, base);
}

/** zod issues as field errors under `base`; an unknown key is named at its own path. */
export function zodErrors(error: z.ZodError, base: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const at = joinPath(base, issue.path);
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: joinPath(at, [key]), message: 'is not allowed here' }));
    return [{ field: at, message: issue.message }];
  });
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
