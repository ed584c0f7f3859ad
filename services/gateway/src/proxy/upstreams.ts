/**
 * The one routing table of the gateway: which service owns which public path prefixes. A new service
 * adds one entry here; its URL setting, proxy routes and OpenAPI merge follow from it.
 */
export interface UpstreamDefinition {
  /** Service name: log label, OpenAPI schema prefix on name clashes, `x-missing-upstreams` entry. */
  name: string;
  /** Env var holding the service's base URL. */
  urlEnv: string;
  defaultUrl: string;
  /**
   * Path prefixes it owns; each covers the prefix itself and everything below it. A `:name` segment
   * matches any one segment, so a service can own a sub-resource of another's (`/v1/customers/:id/scores`):
   * the more specific route wins.
   */
  prefixes: readonly string[];
  /**
   * Exact paths (under the prefixes) whose calls work over the whole customer base and may take minutes
   * at a million customers: proxied with UPSTREAM_LONG_TIMEOUT_MS instead of UPSTREAM_TIMEOUT_MS.
   */
  longRunning?: readonly string[];
  /**
   * Where the service serves everything it holds on one customer (`:id` is the customer id), for
   * `GET /v1/customers/{id}/export`: a service that keeps personal data declares it here and is part of
   * every export. Internal: it must not lie under the service's public prefixes. Same access as the
   * customer itself (dealers only their own, 404 otherwise).
   */
  personalData?: string;
}

export const UPSTREAMS = [
  {
    name: 'customers',
    urlEnv: 'CUSTOMERS_URL',
    defaultUrl: 'http://127.0.0.1:8081',
    prefixes: ['/v1/customers', '/v1/dealers', '/v1/attribute-definitions'],
  },
  {
    name: 'scoring',
    urlEnv: 'SCORING_URL',
    defaultUrl: 'http://127.0.0.1:8082',
    prefixes: [
      '/v1/transactions',
      '/v1/ingest-jobs',
      '/v1/exchange-rates',
      '/v1/scoring',
      '/v1/tiers',
      '/v1/segments',
      '/v1/reports',
      '/v1/customers/:id/scores',
      '/v1/customers/:id/tier-override',
      '/v1/customers/:id/tier-history',
    ],
    // A CLV fit and a new tier set (which re-tiers everyone at once).
    longRunning: ['/v1/scoring/models/clv/fit', '/v1/tiers'],
    personalData: '/v1/customers/:id/personal-data',
  },
  {
    name: 'sales',
    urlEnv: 'SALES_URL',
    defaultUrl: 'http://127.0.0.1:8083',
    prefixes: [
      '/v1/sales-teams',
      '/v1/leads',
      '/v1/lead-rating-rules',
      '/v1/lead-assignment-rules',
      '/v1/pipelines',
      '/v1/opportunities',
      '/v1/forecasts',
      '/v1/quotas',
      '/v1/activities',
      '/v1/calendars',
      '/v1/products',
      '/v1/price-books',
      '/v1/prices',
      '/v1/quotes',
      '/v1/quote-approval-rules',
      '/v1/orders',
      '/v1/expense-claims',
      '/v1/commission-plans',
      '/v1/commission-statements',
      '/v1/sales-reports',
      '/v1/customers/:id/sales',
    ],
    personalData: '/v1/customers/:id/personal-data',
  },
] as const satisfies readonly UpstreamDefinition[];

export type UpstreamUrlEnv = (typeof UPSTREAMS)[number]['urlEnv'];

/** An upstream with the base URL this process routes to. */
export interface Upstream extends UpstreamDefinition {
  url: string;
}

export function resolveUpstreams(urls: Record<UpstreamUrlEnv, string>): Upstream[] {
  return UPSTREAMS.map((definition) => ({ ...definition, url: urls[definition.urlEnv] }));
}

const isParameter = (segment: string) => segment.startsWith(':') || /^\{.+\}$/.test(segment);

/** Whether `path` (no query string; `{name}` segments as in OpenAPI allowed) falls under one of `prefixes`. */
export function isUnderPrefix(path: string, prefixes: readonly string[]): boolean {
  const segments = path.split('/');
  return prefixes.some((prefix) => {
    const wanted = prefix.split('/');
    return wanted.length <= segments.length && wanted.every((part, i) => part === segments[i] || (isParameter(part) && (segments[i] ?? '') !== ''));
  });
}
