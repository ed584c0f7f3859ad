import { problem, ProblemError, Problems, routedPathOf, type App } from '@crm/platform';
import type { Authenticator } from '../domain/authentication.service';

/** Routes anyone may call; everything else (every `/v1` route, proxied or not) needs a bearer token. */
const PUBLIC_ROUTES = new Set(['/openapi.json', '/health/live', '/health/ready', '/metrics', '/oauth/token']);

function isPublic(routeUrl: string | undefined, path: string): boolean {
  // No route matched: answer 404 freely, except under /v1 where a caller learns nothing before authenticating.
  if (routeUrl === undefined) return !path.startsWith('/v1');
  return PUBLIC_ROUTES.has(routeUrl) || routeUrl === '/docs' || routeUrl.startsWith('/docs/');
}

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;
const REALM = 'Bearer realm="crm"';

function bearerTokenOf(authorization: string | undefined): string {
  if (!authorization) throw problem(Problems.unauthenticated, 'send Authorization: Bearer <API key or access token>');
  const token = BEARER.exec(authorization)?.[1];
  if (!token) throw problem(Problems.unauthenticated, 'the Authorization header must use the Bearer scheme');
  return token;
}

/**
 * Authenticates every non-public request before its body is read (onRequest) and sets
 * `request.principal`; a 401 carries the RFC 6750 challenge.
 */
export function registerAuthentication(app: App, authenticator: Authenticator): void {
  app.addHook('onRequest', async (request, reply) => {
    if (isPublic(request.routeOptions.url, routedPathOf(request.url))) return;
    const { authorization } = request.headers;
    try {
      request.principal = await authenticator.authenticate(bearerTokenOf(authorization));
    } catch (error) {
      if (error instanceof ProblemError && error.problem.status === 401) {
        void reply.header('www-authenticate', authorization ? `${REALM}, error="invalid_token"` : REALM);
      }
      throw error;
    }
  });
}
