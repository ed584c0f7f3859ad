import { baseConfigSchema, withServiceSettings, type BaseConfig } from '@crm/platform';
import { z } from 'zod';
import { UPSTREAMS, type UpstreamUrlEnv } from './proxy/upstreams';

/** Only for development and tests; production refuses to start with either. */
export const DEV_JWT_SECRET = 'development-only-jwt-secret-do-not-use';
export const DEV_ADMIN_API_KEY = 'crm-dev-admin-key';

const upstreamUrls = Object.fromEntries(
  UPSTREAMS.map((upstream) => [upstream.urlEnv, z.url({ protocol: /^https?$/ }).default(upstream.defaultUrl)]),
) as Record<UpstreamUrlEnv, z.ZodDefault<z.ZodURL>>;

const gatewaySettings = {
  /** HMAC key of the access tokens `POST /oauth/token` issues (HS256). */
  CRM_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_JWT_SECRET),
  CRM_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  /** Always accepted as an admin staff API key: the way in before any API client exists. */
  CRM_ADMIN_API_KEY: z.string().min(1).default(DEV_ADMIN_API_KEY),
  /** How long a looked-up credential is trusted without asking the database again (revocation delay across replicas). */
  CRM_AUTH_CACHE_SECONDS: z.coerce.number().int().min(0).max(30).default(5),
  /** Upstream answer deadline: no response headers (or a stalled response body) for this long → 504. */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** The same deadline for the routes the routing table marks long-running (whole-base jobs such as a CLV fit). */
  UPSTREAM_LONG_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(600_000),
  /**
   * Requests a minute per caller, by route class (0 = no limit): reads (GET/HEAD) and writes (other
   * methods) per principal, bulk (`…/batch`) per principal, anonymous (public routes such as
   * `/oauth/token`, and calls refused with 401) per client IP. Counted in memory, per replica.
   */
  RATE_LIMIT_READS_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  RATE_LIMIT_BULK_PER_MINUTE: z.coerce.number().int().min(0).default(60),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(0).default(60),
  /** Largest body a batch route (`…/batch`) takes through the gateway; the services' NDJSON_MAX_STREAM_BYTES. Larger → 413. */
  GATEWAY_MAX_BULK_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024 * 1024),
  /** Largest body any other proxied route takes; the services' JSON body limit. Larger → 413. */
  GATEWAY_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  ...upstreamUrls,
};

type ProductionChecked = { NODE_ENV: BaseConfig['NODE_ENV']; CRM_JWT_SECRET: string; CRM_ADMIN_API_KEY: string };

function productionRules(config: ProductionChecked, ctx: z.RefinementCtx): void {
  if (config.NODE_ENV !== 'production') return;
  if (config.CRM_JWT_SECRET === DEV_JWT_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['CRM_JWT_SECRET'], message: 'must be set in production (the development default is public)' });
  }
  if (config.CRM_ADMIN_API_KEY === DEV_ADMIN_API_KEY || config.CRM_ADMIN_API_KEY.length < 24) {
    ctx.addIssue({ code: 'custom', path: ['CRM_ADMIN_API_KEY'], message: 'must be set in production, at least 24 characters' });
  }
}

/** The gateway's whole environment: the platform's settings and its own. */
export const gatewayConfigSchema = baseConfigSchema.safeExtend(gatewaySettings).superRefine(productionRules);
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

const gatewaySettingsSchema = z.object({ NODE_ENV: baseConfigSchema.shape.NODE_ENV, ...gatewaySettings }).superRefine(productionRules);

/**
 * The gateway's config: its settings read once at boot from `env` (the host calls this through the
 * service definition), joined to the base config. Fails like `loadConfig` when they are invalid.
 */
export function gatewayConfigOf(config: BaseConfig, env: NodeJS.ProcessEnv): GatewayConfig {
  return withServiceSettings(config, gatewaySettingsSchema, env);
}
