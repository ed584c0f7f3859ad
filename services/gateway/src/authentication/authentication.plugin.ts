import { problem, ProblemError, Problems, routedPathOf, type App } from '@crm/platform';
import type { FastifyRequest } from 'fastify';
import type { Authenticator } from './authentication.service';
import type { RejectedCallers } from '../rate-limits/rate-limit.plugin';

/**
 * Routes anyone may call: those declared `config: { public: true }` (health, metrics, the document,
 * `/oauth/token`, Swagger UI's pages). Everything else (every `/v1` route, proxied or not) needs a bearer token.
 */
function isPublic(request: FastifyRequest): boolean {
  const routeUrl = request.routeOptions.url;
  // No route matched: answer 404 freely, except under /v1 where a caller learns nothing before authenticating.
  if (routeUrl === undefined) return !routedPathOf(request.url).startsWith('/v1');
  return request.routeOptions.config.public === true;
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
export function registerAuthentication(app: App, authenticator: Authenticator, rejectedCallers: RejectedCallers): void {
  app.addHook('onRequest', async (request, reply) => {
    if (isPublic(request)) return;
    const { authorization } = request.headers;
    try {
      request.principal = await authenticator.authenticate(bearerTokenOf(authorization));
    } catch (error) {
      if (error instanceof ProblemError && error.problem.status === 401) {
        // Guessing credentials is limited like any anonymous call: past the limit the answer is 429.
        await rejectedCallers.count(request, reply);
        void reply.header('www-authenticate', authorization ? `${REALM}, error="invalid_token"` : REALM);
      }
      throw error;
    }
  });
}
