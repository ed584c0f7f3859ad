import { createApp, migrateToLatest, pingDatabase, startRetention, type App, type ServiceContext, type StartedService } from '@crm/platform';
import type { GatewayConfig } from './config';
import type { GatewayDb } from './api-clients/api-client.repository';
import { GATEWAY_SCHEMA, gatewayMigrations } from './db/migrations';
import { createApiClientService } from './api-clients/api-client.service';
import { createAuthenticator } from './authentication/authentication.service';
import { createClientCredentialsService } from './authentication/client-credentials.service';
import { createHttpDealerDirectory } from './api-clients/dealer-directory';
import { createSealedBox } from './api-clients/sealed-box';
import { createTokenService } from './authentication/token.service';
import { createUpstreamDocuments, fetchUpstreamDocument, type DocumentLoader } from './api-docs/upstream-documents.service';
import { registerApiDocs } from './api-docs/api-docs.plugin';
import { registerAuthentication } from './authentication/authentication.plugin';
import { registerRateLimits } from './rate-limits/rate-limit.plugin';
import { registerUpstreamProxies } from './proxy/upstream-proxy.plugin';
import { apiClientRoutes } from './api-clients/api-client.routes';
import { customerExportRoutes } from './customer-export/customer-export.routes';
import { oauthRoutes } from './authentication/oauth.routes';
import { resolveUpstreams } from './proxy/upstreams';

export interface GatewayDeps extends Omit<ServiceContext, 'config'> {
  config: GatewayConfig;
  /** How upstream OpenAPI documents are fetched (default: `GET <upstream>/openapi.json`). */
  loadUpstreamDocument?: DocumentLoader;
}

export interface Gateway extends StartedService {
  app: App;
}

const DESCRIPTION =
  'The CRM suite behind one door. Authenticate with `Authorization: Bearer <token>`: an API key, or an ' +
  'access token from `POST /oauth/token` (OAuth 2.0 client credentials). Errors are RFC 9457 problem+json.';

/** Builds the gateway from injected dependencies: migrate, authenticate, route to upstreams, merged docs. Never listens. */
export async function buildGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config, logger, runtime } = deps;
  await migrateToLatest(deps.db, gatewayMigrations);
  const db = deps.db.withSchema(GATEWAY_SCHEMA) as unknown as GatewayDb;

  const tokens = createTokenService({ secret: config.CRM_JWT_SECRET, ttlSeconds: config.CRM_TOKEN_TTL_SECONDS, runtime });
  const authenticator = createAuthenticator({
    db,
    tokens,
    adminApiKey: config.CRM_ADMIN_API_KEY,
    cacheSeconds: config.CRM_AUTH_CACHE_SECONDS,
    runtime,
  });
  const upstreams = resolveUpstreams(config);
  const apiClients = createApiClientService({
    db,
    runtime,
    replayBox: createSealedBox(config.CRM_JWT_SECRET, 'crm-gateway/idempotent-replay'),
    onRevoked: () => authenticator.forgetCached(),
    dealers: createHttpDealerDirectory({ customersUrl: config.CUSTOMERS_URL, internalSecret: config.CRM_INTERNAL_SECRET, runtime, timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
  });
  const clientCredentials = createClientCredentialsService({ db, tokens });

  const app = await createApp({
    name: 'gateway',
    description: DESCRIPTION,
    logger,
    limits: deps.limits,
    // Ready means its database answers. Each upstream is reported too (does it answer its liveness probe?),
    // so a gateway that would answer 502 says why; one upstream down does not make the whole gateway unready.
    readiness: [
      { name: 'database', check: () => pingDatabase(deps.db) },
      ...upstreams.map((upstream) => ({ name: `upstream ${upstream.name} (${upstream.url})`, check: () => upstreamAnswers(upstream.url), informational: true })),
    ],
  });
  // Before authentication, which counts the callers it refuses; the limits apply to the routes registered after.
  const rejectedCallers = await registerRateLimits(app, {
    reads: config.RATE_LIMIT_READS_PER_MINUTE,
    writes: config.RATE_LIMIT_WRITES_PER_MINUTE,
    bulk: config.RATE_LIMIT_BULK_PER_MINUTE,
    anonymous: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
  });
  registerAuthentication(app, authenticator, rejectedCallers);
  await registerApiDocs(app, {
    info: { title: 'CRM API', version: '3.0.0', description: DESCRIPTION },
    upstreamDocuments: createUpstreamDocuments({
      upstreams,
      load: deps.loadUpstreamDocument ?? fetchUpstreamDocument(2000),
      logger: logger.child({ component: 'api-docs' }),
      now: () => runtime.now().getTime(),
      refreshMs: 5 * 60_000,
    }),
  });
  apiClientRoutes(app, apiClients);
  await oauthRoutes(app, clientCredentials);
  customerExportRoutes(app, { upstreams, internalSecret: config.CRM_INTERNAL_SECRET, timeoutMs: config.UPSTREAM_TIMEOUT_MS, runtime });
  await registerUpstreamProxies(app, {
    upstreams,
    internalSecret: config.CRM_INTERNAL_SECRET,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    longTimeoutMs: config.UPSTREAM_LONG_TIMEOUT_MS,
    runtime,
    bodyLimits: { bulkBytes: config.GATEWAY_MAX_BULK_BYTES, otherBytes: config.GATEWAY_MAX_BODY_BYTES },
  });
  // Its idempotency keys hold sealed credentials of created API clients: kept no longer than a retry needs.
  const retention = startRetention(deps, { db, schema: GATEWAY_SCHEMA });
  return { app, stop: () => retention.stop() };
}

/** Resolves when the upstream answers its liveness probe; the reason otherwise. */
async function upstreamAnswers(url: string): Promise<void> {
  const response = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`answered ${response.status}`);
}
