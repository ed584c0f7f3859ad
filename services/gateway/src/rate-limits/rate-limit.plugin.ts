import rateLimit from '@fastify/rate-limit';
import { tenantOf, type Principal } from '@crm/domain';
import { problem, Problems, routedPathOf, type App } from '@crm/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Each class is counted and limited on its own: a bulk upload does not use up the reads. */
export type RouteClass = 'reads' | 'writes' | 'bulk' | 'anonymous';

/** Requests a minute per caller for each class; 0 turns the class's limit off. */
export type RateLimits = Record<RouteClass, number>;

/** Batch routes (`/v1/customers/batch`, `/v1/transactions/batch`, any `…/batch`): each call can carry millions of rows. */
export const isBulkPath = (path: string): boolean => /\/batch\/?$/.test(path);

/** The class of a request: anonymous when no principal was authenticated (public routes), else by method and path. */
export function routeClassOf(request: Pick<FastifyRequest, 'method' | 'url'> & { principal?: Principal }): RouteClass {
  if (!request.principal) return 'anonymous';
  if (isBulkPath(routedPathOf(request.url))) return 'bulk';
  return request.method === 'GET' || request.method === 'HEAD' ? 'reads' : 'writes';
}

/** Whose allowance a request uses: the principal (kind, subject and its dealer or system), never the IP, once authenticated. */
export function callerKeyOf(request: Pick<FastifyRequest, 'ip'> & { principal?: Principal }): string {
  const { principal } = request;
  if (!principal) return `ip:${request.ip}`;
  return `${tenantOf(principal)}:${principal.subject}`;
}

const MINUTE_MS = 60_000;

/**
 * Rate limits per caller and route class on every route registered after it (health, metrics and the
 * OpenAPI document come before, and stay unlimited). Runs as a route hook, so after authentication has
 * set the principal; calls refused by authentication are counted through the `RejectedCallers` it returns. The counts live in this replica's memory: N replicas allow up to N times the limit.
 * Over the limit: 429 problem+json with `Retry-After` (seconds).
 */
export async function registerRateLimits(app: App, limits: RateLimits): Promise<RejectedCallers> {
  const requestOf = (request: FastifyRequest) => request as FastifyRequest & { principal?: Principal };
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: MINUTE_MS,
    // Distinct callers kept at once; the least recently seen is forgotten first.
    cache: 50_000,
    allowList: (request) => limits[routeClassOf(requestOf(request))] === 0,
    keyGenerator: (request) => `${routeClassOf(requestOf(request))}|${callerKeyOf(requestOf(request))}`,
    max: (request) => limits[routeClassOf(requestOf(request))],
    errorResponseBuilder: (request, context) =>
      problem(Problems.rateLimited, `more than ${context.max} ${routeClassOf(requestOf(request))} requests a minute; retry in ${context.after}`),
  });
  // Anonymous by definition: counted per client address, against the anonymous allowance.
  const rejected = app.rateLimit({ keyGenerator: (request) => `rejected|${callerKeyOf(requestOf(request))}`, max: limits.anonymous });
  return {
    async count(request, reply) {
      // The hook is typed for the app's logger; the request is the same object.
      await rejected.call(app, request as never, reply as never);
    },
  };
}

/** Calls whose credentials were refused (401), limited per client address like other anonymous calls. */
export interface RejectedCallers {
  /** Counts one refused call; throws 429 problem+json once the address is over the anonymous limit. */
  count(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}
