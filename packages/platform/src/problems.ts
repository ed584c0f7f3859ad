/**
 * RFC 9457 problem details. Every error leaves a service as `application/problem+json` with a
 * stable `type` URI from a catalogue; clients switch on `type`, never on `title` or `detail`.
 */
export interface FieldError {
  /** JSON pointer-ish path of the failing field, e.g. `body.emails.0` or `query.limit`. */
  field: string;
  message: string;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface ProblemType {
  type: string;
  status: number;
  title: string;
}

export const PROBLEM_BASE = 'urn:crm:problem:';

export function problemType(slug: string, status: number, title: string): ProblemType {
  return Object.freeze({ type: `${PROBLEM_BASE}${slug}`, status, title });
}

/** The problems every service can answer with; services add their own with `problemType`. */
export const Problems = {
  validation: problemType('validation', 400, 'The request is not valid'),
  malformedJson: problemType('malformed-json', 400, 'The request body is not valid JSON'),
  malformedRequest: problemType('malformed-request', 400, 'The request is not valid HTTP'),
  invalidCursor: problemType('invalid-cursor', 400, 'The pagination cursor is not valid'),
  unauthenticated: problemType('unauthenticated', 401, 'Authentication is required'),
  forbidden: problemType('forbidden', 403, 'The caller may not do this'),
  notFound: problemType('not-found', 404, 'The resource does not exist'),
  methodNotAllowed: problemType('method-not-allowed', 405, 'The method is not allowed here'),
  notAcceptable: problemType('not-acceptable', 406, 'No acceptable representation of the resource'),
  requestTimeout: problemType('request-timeout', 408, 'The request was not received in time'),
  conflict: problemType('conflict', 409, 'The request conflicts with the current state'),
  gone: problemType('gone', 410, 'The resource is gone'),
  preconditionFailed: problemType('precondition-failed', 412, 'The resource has changed since it was read (stale If-Match)'),
  payloadTooLarge: problemType('payload-too-large', 413, 'The request body is too large'),
  uriTooLong: problemType('uri-too-long', 414, 'The request URI is too long'),
  unsupportedMediaType: problemType('unsupported-media-type', 415, 'The content type is not supported'),
  idempotencyKeyReused: problemType('idempotency-key-reused', 422, 'The Idempotency-Key was already used with a different request'),
  unprocessable: problemType('unprocessable', 422, 'The request cannot be applied'),
  preconditionRequired: problemType('precondition-required', 428, 'If-Match with the current ETag is required'),
  rateLimited: problemType('rate-limited', 429, 'Too many requests'),
  headersTooLarge: problemType('headers-too-large', 431, 'The request headers are too large'),
  internal: problemType('internal', 500, 'Internal error'),
  badGateway: problemType('bad-gateway', 502, 'The upstream service did not answer'),
  unavailable: problemType('unavailable', 503, 'The service is not ready'),
  overloaded: problemType('overloaded', 503, 'The service is overloaded; retry later'),
  databaseTimeout: problemType('database-timeout', 503, 'The database did not answer in time; retry later'),
} as const;

/** Thrown anywhere below a route; the error handler turns it into problem+json. */
export class ProblemError extends Error {
  constructor(
    readonly problem: ProblemType,
    readonly detail?: string,
    readonly extensions: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(detail ?? problem.title);
    this.name = 'ProblemError';
  }

  toDocument(instance?: string): ProblemDocument {
    return {
      type: this.problem.type,
      title: this.problem.title,
      status: this.problem.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const problem = (type: ProblemType, detail?: string, extensions?: ProblemError['extensions']): ProblemError =>
  new ProblemError(type, detail, extensions);
