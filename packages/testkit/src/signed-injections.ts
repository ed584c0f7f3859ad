import type { Principal } from '@crm/domain';

/**
 * Tests name the principal of a request with this header (`as(principal)`); the service's `inject`,
 * wrapped by `signInjectedPrincipals`, replaces it with the principal signed for that request's
 * method and path, as the gateway signs it. Principals are bound to one request, so a header set
 * signed ahead of time would not do.
 */
export const AS_PRINCIPAL_HEADER = 'x-test-as-principal';

export const asPrincipal = (principal: Principal, headers: Record<string, string> = {}): Record<string, string> => ({
  [AS_PRINCIPAL_HEADER]: JSON.stringify(principal),
  ...headers,
});

type Sign = (principal: Principal, request: { method: string; url: string }) => Record<string, string>;
interface InjectOptionsLike {
  method?: string;
  /** Tests give the URL as a string. */
  url?: string;
  path?: string;
  headers?: Record<string, unknown>;
}

/** Wraps `app.inject` so requests built with `asPrincipal` carry a principal signed for them. */
export function signInjectedPrincipals(app: { inject: unknown }, sign: Sign): void {
  const inject = (app.inject as (options: InjectOptionsLike) => Promise<unknown>).bind(app);
  app.inject = (options: InjectOptionsLike) => {
    const { [AS_PRINCIPAL_HEADER]: named, ...headers } = options.headers ?? {};
    if (typeof named !== 'string') return inject(options);
    const target = { method: options.method ?? 'GET', url: options.url ?? options.path ?? '/' };
    // Headers the test sets itself win, so it can still send a forged signature.
    return inject({ ...options, headers: { ...sign(JSON.parse(named) as Principal, target), ...headers } });
  };
}
