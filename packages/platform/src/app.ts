import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import swagger from '@fastify/swagger';
import type { Principal } from '@crm/domain';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { Registry, Histogram, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import {
  APP_LIMIT_DEFAULTS,
  clientErrorHandlerOf,
  registerLoadShedding,
  registerUrlLimit,
  serverOptionsOf,
  withRetryAfter,
  type AppLimits,
} from './app-limits';
import { authorize, type AccessRule } from './access';
import { databaseProblemOf } from './database';
import type { Logger } from './logger';
import { openApiDocumentTransform } from './openapi-conventions';
import { verifyPrincipal } from './principal';
import { problem, ProblemError, Problems, type FieldError, type ProblemType } from './problems';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a principal (health, metrics, the OpenAPI document); every other route needs one. */
    public?: boolean;
    /** Who may call it; every route that is not public declares one (checked when the app is ready). */
    access?: AccessRule;
  }
  interface FastifyRequest {
    /** The authenticated caller; set on every non-public route once the signature checked out. */
    principal: Principal;
    /** W3C trace context of this request, to forward downstream. */
    traceparent: string;
  }
}

export type App = FastifyInstance<
  FastifyInstance['server'],
  FastifyInstance['server'] extends infer _ ? import('http').IncomingMessage : never,
  import('http').ServerResponse,
  Logger,
  ZodTypeProvider
>;

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
  /**
   * Reported only: its failure shows in the answer but leaves the process ready (the gateway's upstreams:
   * one service down must not take every route of the gateway out of its load balancer).
   */
  informational?: boolean;
}

export interface AppOptions {
  /** Service name: OpenAPI title, log name, metrics label. */
  name: string;
  version?: string;
  description?: string;
  logger: Logger;
  /** When set, every route not marked `config: { public: true }` demands a principal signed with it. The gateway itself leaves it unset. */
  principalSecret?: string;
  readiness?: ReadinessCheck[];
  /** Largest JSON body in bytes (default 1 MiB); bulk routes raise it for themselves. */
  bodyLimit?: number;
  /** URL length, slow-client timeouts and load shedding; the host builds them from its settings (`ServiceContext.limits`). */
  limits?: AppLimits;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Continues the caller's trace (or starts one) with a new span id for this hop. */
function nextTraceparent(incoming: string | undefined): { traceId: string; traceparent: string } {
  const match = incoming ? TRACEPARENT.exec(incoming) : null;
  const traceId = match?.[1] && !/^0+$/.test(match[1]) ? match[1] : randomBytes(16).toString('hex');
  const flags = match?.[3] ?? '01';
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}` };
}

/** Problem document schema for OpenAPI responses; extensions (e.g. `errors`) pass through. */
export const ProblemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

/** `{ 400: ProblemSchema, 404: ProblemSchema, ... }` for a route's response schema. */
export function problemResponses<const S extends number>(...statuses: S[]): Record<S, typeof ProblemSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemSchema])) as Record<S, typeof ProblemSchema>;
}

function fieldErrorsOf(error: FastifyError): FieldError[] {
  if (!hasZodFastifySchemaValidationErrors(error)) return [];
  return error.validation.map((issue) => {
    const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    // Fastify says `querystring`; clients know it as the query.
    const context = error.validationContext === 'querystring' ? 'query' : error.validationContext;
    return { field: [context, path].filter(Boolean).join('.'), message: issue.message ?? 'is not valid' };
  });
}

/** Framework errors by status, for those without a code of their own below. */
const PROBLEM_OF_STATUS: Record<number, ProblemType> = {
  400: Problems.malformedRequest,
  404: Problems.notFound,
  405: Problems.methodNotAllowed,
  406: Problems.notAcceptable,
  408: Problems.requestTimeout,
  413: Problems.payloadTooLarge,
  414: Problems.uriTooLong,
  415: Problems.unsupportedMediaType,
  429: Problems.rateLimited,
  431: Problems.headersTooLarge,
  503: Problems.unavailable,
};

/** Maps anything thrown to a problem; unknown errors become an opaque 500. */
function toProblem(error: FastifyError): ProblemError {
  if (error instanceof ProblemError) return error;
  const unavailable = databaseProblemOf(error);
  if (unavailable) return unavailable;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = fieldErrorsOf(error);
    return problem(Problems.validation, errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(Problems.malformedJson, error.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(Problems.payloadTooLarge, error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(Problems.unsupportedMediaType, 'send the body as application/json (the batch routes also take application/x-ndjson)');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_BAD_URL':
      return problem(Problems.malformedRequest, error.message);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem(Problems.uriTooLong, 'a path segment is too long');
    default:
      break;
  }
  if (error instanceof SyntaxError && error.statusCode === 400) return problem(Problems.malformedJson, error.message);
  if (error.statusCode === 404) return problem(Problems.notFound);
  const status = error.statusCode;
  if (status && ((status >= 400 && status < 500) || status === 503) && !isResponseSerializationError(error)) {
    const known = PROBLEM_OF_STATUS[status];
    return known
      ? problem(known, error.message)
      : new ProblemError({ type: `urn:crm:problem:http-${status}`, status, title: error.message });
  }
  return problem(Problems.internal);
}

export function sendProblem(reply: FastifyReply, error: ProblemError, request: FastifyRequest): FastifyReply {
  return reply
    .code(error.problem.status)
    .type('application/problem+json')
    .send(error.toDocument(request.url.split('?')[0]));
}

/**
 * Builds a service's Fastify instance: zod schemas in and out, OpenAPI 3.1, problem+json errors,
 * request ids and trace context in the logs, health, readiness and Prometheus metrics. Never listens.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const limits = options.limits ?? APP_LIMIT_DEFAULTS;
  const server = serverOptionsOf(limits);
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // External ids reach paths percent-encoded (200 characters may take 600); the URL limit bounds the rest.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    http: server,
    requestTimeout: server.requestTimeout,
    keepAliveTimeout: server.keepAliveTimeout,
    // Answered below as problem+json, like every error, instead of Fastify's plain JSON.
    return503OnClosing: false,
    clientErrorHandler: clientErrorHandlerOf(limits, (details, message) => options.logger.debug(details, message)),
    frameworkErrors: (error, request, reply) => {
      const mapped = toProblem(error);
      request.log.info({ problem: mapped.problem.type, detail: mapped.detail }, 'request rejected');
      void sendProblem(reply, mapped, request);
    },
  }).withTypeProvider<ZodTypeProvider>() as unknown as App;

  // Streamed bodies (NDJSON) reach the route as a stream and are validated there, line by line.
  app.setValidatorCompiler((route) => {
    const validate = validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);
    return (data: unknown) => (data instanceof Readable ? { value: data } : validate(data));
  });
  app.addContentTypeParser('application/x-ndjson', (_request, payload, done) => done(null, payload));
  // JSON sent as text/plain is a client mistake: a 415 that names what to send, not "expected object".
  app.removeContentTypeParser('text/plain');
  // Common HTTP clients send `content-type: application/json` on a DELETE without a body: no body there is
  // no body, not malformed JSON (a content type with nothing to describe is dropped before parsing).
  app.addHook('onRequest', async (request) => {
    const { headers } = request;
    const bodiless = headers['transfer-encoding'] === undefined && (headers['content-length'] === undefined || headers['content-length'] === '0');
    if (request.method === 'DELETE' && bodiless) delete headers['content-type'];
  });
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.name, version: options.version ?? '0.1.0', description: options.description },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    // Schemas registered with an id (`.meta({ id })`) become components/schemas the paths reference.
    transformObject: openApiDocumentTransform,
  });

  app.decorateRequest('principal', undefined as unknown as { getter(): Principal });
  app.decorateRequest('traceparent', '');

  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.traceparent;
    const trace = nextTraceparent(typeof header === 'string' ? header : undefined);
    request.traceparent = trace.traceparent;
    request.log = request.log.child({ traceId: trace.traceId });
    void reply.header('x-request-id', request.id);
  });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    void reply.header('connection', 'close');
    throw problem(Problems.unavailable, 'the service is shutting down');
  });
  registerUrlLimit(app, limits);
  await registerLoadShedding(app, limits);

  if (options.principalSecret) {
    const secret = options.principalSecret;
    // Decided by the route the router matched, never by the URL's text (absolute-form and %-escapes
    // would slip past a prefix test): every route, unmatched ones included, needs the principal
    // signed for this method and path unless it is declared `config: { public: true }`.
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.public === true) return;
      request.principal = verifyPrincipal(request.headers, secret, { method: request.method, url: request.url });
    });
  }

  registerAccess(app);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = toProblem(error);
    if (mapped.problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ problem: mapped.problem.type, detail: mapped.detail }, 'request rejected');
    withRetryAfter(reply, mapped, limits);
    return sendProblem(reply, mapped, request);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(Problems.notFound, `no route ${request.method} ${request.url.split('?')[0]}`), request),
  );

  // The service's own contract; the gateway merges these into the suite's document.
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
  registerMetrics(app, options.name);
  registerHealth(app, options.readiness ?? []);
  return app;
}

/**
 * Access is declared on the route, in one place, and checked here once the principal is known (every
 * onRequest hook, the gateway's authentication included, has run) and before the body is read.
 * A route that declares neither access nor `public` fails the app's start instead of being open.
 */
function registerAccess(app: App): void {
  const routes: { method: string | string[]; url: string; config?: { public?: boolean; access?: AccessRule } }[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  app.addHook('onReady', async () => {
    const undeclared = routes.filter((route) => route.config?.public !== true && route.config?.access === undefined);
    if (undeclared.length > 0) {
      throw new Error(`routes without config.access (or config.public): ${undeclared.map((r) => `${String(r.method)} ${r.url}`).join(', ')}`);
    }
  });
  app.addHook('preParsing', async (request) => {
    const { access } = request.routeOptions.config;
    if (access && request.routeOptions.config.public !== true) authorize(request.principal, access);
  });
}

function registerHealth(app: App, checks: ReadinessCheck[]): void {
  app.get('/health/live', { schema: { hide: true }, config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/health/ready', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => {
    const results = await Promise.all(
      checks.map(async ({ name, check, informational = false }) => {
        try {
          await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 3000).unref())]);
          return { name, ok: true as const, informational };
        } catch (error) {
          return { name, ok: false as const, informational, error: String(error) };
        }
      }),
    );
    const ready = results.every((r) => r.ok || r.informational);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results });
  });
}

function registerMetrics(app: App, service: string): void {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { schema: { hide: true }, config: { public: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
