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
  /** Path prefixes it owns; each covers the prefix itself and everything below it. */
  prefixes: readonly string[];
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
    prefixes: ['/v1/transactions', '/v1/ingest-jobs', '/v1/exchange-rates'],
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

/** Whether `path` (no query string) falls under one of `prefixes`. */
export function isUnderPrefix(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}
