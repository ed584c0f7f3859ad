import { z } from 'zod';

/**
 * Error messages that tell an API client what to do. zod's defaults describe its own internals
 * ("Invalid input: expected string, received undefined"); a caller wants "required". Set once for the
 * process: every service validates through zod, so every problem+json says the same thing.
 */
z.config({
  customError: (issue) => {
    // A missing field: JSON has no `undefined`, so input undefined means the key is absent.
    if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return 'required';
    if (issue.code === 'invalid_type' && issue.input === null) return `must not be null (expected ${issue.expected})`;
    return undefined;
  },
});
