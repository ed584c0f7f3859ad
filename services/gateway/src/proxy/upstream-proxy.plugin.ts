import type { IncomingHttpHeaders } from 'node:http';
import httpProxy from '@fastify/http-proxy';
import { anyPrincipal, PRINCIPAL_HEADER, problem, Problems, sendProblem, signPrincipal, type App, type Runtime } from '@crm/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayProblems } from '../gateway.problems';
import { answeredBodyTooLarge, registerBodyLimits, type BodyLimits } from './body-limits.plugin';
import type { Upstream } from './upstreams';

export interface UpstreamProxyOptions {
  upstreams: Upstream[];
  /** `CRM_INTERNAL_SECRET`: the key the forwarded principal is signed with. */
  internalSecret: string;
  timeoutMs: number;
  /** For the upstream's `longRunning` paths. */
  longTimeoutMs: number;
  runtime: Runtime;
  bodyLimits: BodyLimits;
}

/**
 * Client headers that never go upstream: its credentials, and `Expect`. Node's server already
 * answered `100 Continue` to the client (curl sends `Expect: 100-continue` for bodies over 1 MiB),
 * and undici refuses to send the header at all (a 502 for every large upload).
 */
const NOT_FORWARDED = new Set(['authorization', 'expect']);

/**
 * The headers an upstream receives: the client's, minus its credentials, `Expect` and any principal
 * it tried to forge, plus the signed principal, the request id and the trace context of this hop.
 */
/**
 * The path the upstream receives for a request target, as @fastify/reply-from builds it: the path
 * part (absolute-form reduced to it) resolved by the WHATWG URL parser against the upstream, which
 * re-escapes some characters and turns `\` into `/`. The principal is signed for this path.
 */
export function forwardedPathOf(url: string): string {
  const path = routedTargetOf(url).split('?', 1)[0] ?? '/';
  return new URL(path.startsWith('//') ? `.${path}` : path, 'http://upstream.invalid').pathname;
}

/** An absolute-form request target (`http://host/v1/x`) as the origin-form the router matched (`/v1/x`). */
export function routedTargetOf(url: string): string {
  if (url.startsWith('/')) return url;
  const { pathname, search } = new URL(url);
  return `${pathname}${search}`;
}

export function upstreamRequestHeaders(
  request: Pick<FastifyRequest, 'principal' | 'id' | 'traceparent' | 'ip' | 'protocol' | 'host' | 'method' | 'url'>,
  headers: IncomingHttpHeaders,
  options: Pick<UpstreamProxyOptions, 'internalSecret' | 'runtime'>,
): IncomingHttpHeaders {
  const forwarded: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (NOT_FORWARDED.has(name) || name.startsWith(PRINCIPAL_HEADER)) continue;
    forwarded[name] = value;
  }
  const priorFor = headers['x-forwarded-for'];
  return {
    ...forwarded,
    ...signPrincipal(request.principal, options.internalSecret, { method: request.method, url: forwardedPathOf(request.url) }, options.runtime.now()),
    'x-request-id': request.id,
    traceparent: request.traceparent,
    'x-forwarded-for': priorFor ? `${String(priorFor)}, ${request.ip}` : request.ip,
    'x-forwarded-proto': request.protocol,
    ...(request.host ? { 'x-forwarded-host': request.host } : {}),
  };
}

/** A transport failure as problem+json: 504 when the upstream was too slow, 502 when it could not be reached. */
function answerUpstreamFailure(upstream: Upstream, reply: FastifyReply, error: Error & { statusCode?: number }, bodyLimits: BodyLimits): void {
  if (answeredBodyTooLarge(reply, bodyLimits)) return;
  const timedOut = error.statusCode === 504;
  reply.request.log.warn({ err: error, upstream: upstream.name }, 'upstream request failed');
  const failure = timedOut
    ? problem(GatewayProblems.gatewayTimeout, `the ${upstream.name} service did not answer in time`)
    : problem(Problems.badGateway, `the ${upstream.name} service could not be reached`);
  void sendProblem(reply, failure, reply.request);
}

/**
 * Two proxies over the upstream's paths, undici with keep-alive and no retries: one for the long-running
 * paths with the long deadline, one for everything else under the prefixes (a long-running path that is
 * a prefix itself is left to the first; deeper ones win over the wildcards as more specific routes).
 */
async function registerUpstream(app: App, upstream: Upstream, options: UpstreamProxyOptions): Promise<void> {
  const longRunning = upstream.longRunning ?? [];
  const routes = upstream.prefixes.flatMap((prefix) => [...(longRunning.includes(prefix) ? [] : [prefix]), `${prefix}/*`]);
  await registerProxy(app, upstream, options, routes, options.timeoutMs);
  if (longRunning.length > 0) await registerProxy(app, upstream, options, longRunning, options.longTimeoutMs);
}

async function registerProxy(app: App, upstream: Upstream, options: UpstreamProxyOptions, routes: readonly string[], timeoutMs: number): Promise<void> {
  await app.register(httpProxy, {
    upstream: upstream.url,
    routes: [...routes],
    // Forwarded as origin-form: reply-from refuses an absolute URL that is not the upstream's.
    preRewrite: routedTargetOf,
    undici: {
      connections: 128,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    },
    destroyAgent: true,
    disableRequestLogging: true,
    replyOptions: {
      rewriteRequestHeaders: (request, headers) => upstreamRequestHeaders(request, headers as IncomingHttpHeaders, options),
      // The gateway serves HTTP/1 only: the reply is the plain one sendProblem takes.
      onError: (reply, { error }) => answerUpstreamFailure(upstream, reply as unknown as FastifyReply, error, options.bodyLimits),
      // Never replay a request on the client's behalf: what the upstream answers is the answer.
      retryDelay: () => null,
    },
  });
}

/**
 * Routes every upstream's prefixes to it. Bodies stream through unparsed (the proxy parses no
 * content type), so instead of the gateway's JSON body limit the body limits by route class apply.
 * Upstream answers, problem+json included, pass through unchanged. Requests were authenticated on
 * the way in (see the authentication plugin); here they get the signed principal.
 */
export async function registerUpstreamProxies(app: App, options: UpstreamProxyOptions): Promise<void> {
  await app.register(async (scope: App) => {
    // Upstream paths are documented by the upstreams (merged into /openapi.json), not as wildcards here.
    // Any authenticated caller reaches the upstream, which decides with the signed principal.
    scope.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
      route.config = { ...route.config, access: anyPrincipal };
    });
    registerBodyLimits(scope, options.bodyLimits);
    for (const upstream of options.upstreams) await registerUpstream(scope, upstream, options);
  });
}
