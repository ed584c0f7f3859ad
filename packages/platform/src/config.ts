import { z } from 'zod';
import { APP_LIMIT_DEFAULTS } from './app-limits';
import { POOL_LIMIT_DEFAULTS } from './database';
import { kafkaTopicSettingsSchema } from './kafka-bus';
import { ndjsonSettingsShape } from './ndjson';

/** Only for development and tests; production refuses to start with it. */
export const DEV_INTERNAL_SECRET = 'development-only-internal-secret-do-not-use';

const milliseconds = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Pool, timeouts and load shedding: how much a service takes on before it says 503 instead of queueing. */
const runtimeLimitSettings = {
  /** Connections per process (the suite shares one pool between its services). */
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(POOL_LIMIT_DEFAULTS.poolSize),
  /** How long a request waits for a free connection before it gets 503. */
  DB_ACQUIRE_TIMEOUT_MS: milliseconds(1, 600_000).default(POOL_LIMIT_DEFAULTS.acquireTimeoutMs),
  /** Longest statement (server side); whole-base jobs lift it for their own transactions. 0 = none. */
  DB_STATEMENT_TIMEOUT_MS: milliseconds(0, 86_400_000).default(POOL_LIMIT_DEFAULTS.statementTimeoutMs),
  /** A session idle inside an open transaction this long is ended by the server (its locks released). 0 = none. */
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: milliseconds(0, 86_400_000).default(POOL_LIMIT_DEFAULTS.idleInTransactionTimeoutMs),
  /** Requests get 503 while the event loop lags more than this. 0 = never. */
  MAX_EVENT_LOOP_DELAY_MS: milliseconds(0, 60_000).default(APP_LIMIT_DEFAULTS.maxEventLoopDelayMs),
  /** Requests get 503 while more queries than this wait for a pooled connection. 0 = never. */
  MAX_DB_POOL_QUEUE: z.coerce.number().int().min(0).max(100_000).default(APP_LIMIT_DEFAULTS.maxDbPoolQueue),
  /** `Retry-After` of a 503 (overloaded, database timeout). */
  RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(APP_LIMIT_DEFAULTS.retryAfterSeconds),
  /** Longest request URL (path and query); longer ones get 414. Node refuses request line plus headers over 16 KiB with 431 anyway. */
  HTTP_MAX_URL_BYTES: z.coerce.number().int().min(256).max(16_384).default(APP_LIMIT_DEFAULTS.maxUrlBytes),
  /** A client must send its whole request head within this time (slow-loris guard). */
  HTTP_HEADERS_TIMEOUT_MS: milliseconds(1000, 600_000).default(APP_LIMIT_DEFAULTS.headersTimeoutMs),
  /** A client must send its whole request, body included, within this time; bulk NDJSON uploads need it long. 0 = none. */
  HTTP_REQUEST_TIMEOUT_MS: milliseconds(0, 86_400_000).default(APP_LIMIT_DEFAULTS.requestTimeoutMs),
  /** An idle keep-alive connection is closed after this; above the gateway's 30 s upstream keep-alive. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: milliseconds(1, 600_000).default(APP_LIMIT_DEFAULTS.keepAliveTimeoutMs),
};

/** Settings every service shares; a service extends this with its own. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Interface the services listen on: loopback unless a container or host says otherwise (`0.0.0.0`). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Real PostgreSQL; without it the service runs on embedded PGlite under DATA_DIR. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATA_DIR: z.string().default('.data'),
  /** Comma-separated `host:port` list; without it events are delivered in process. */
  KAFKA_BROKERS: z
    .string()
    .transform((value) => value.split(',').map((broker) => broker.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1))
    .optional(),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[a-zA-Z0-9._-]*$/).default(''),
  ...runtimeLimitSettings,
  ...kafkaTopicSettingsSchema.shape,
  /** HMAC key the gateway signs forwarded principals with; services reject anything unsigned. */
  CRM_INTERNAL_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_INTERNAL_SECRET),
  ...ndjsonSettingsShape,
}).refine((env) => env.NODE_ENV !== 'production' || env.CRM_INTERNAL_SECRET !== DEV_INTERNAL_SECRET, {
  path: ['CRM_INTERNAL_SECRET'],
  message: 'must be set in production (the development default is public)',
}).refine((env) => env.HTTP_REQUEST_TIMEOUT_MS === 0 || env.HTTP_HEADERS_TIMEOUT_MS <= env.HTTP_REQUEST_TIMEOUT_MS, {
  path: ['HTTP_HEADERS_TIMEOUT_MS'],
  message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS',
});
export type BaseConfig = z.infer<typeof baseConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `localhost`, `127.0.0.0/8` and `::1` (also IPv4-mapped): reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const ipv4 = bare.replace(/^::ffff:/, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4);
}

/** The base settings still at their public development default. */
export function developmentSecretsOf(config: Pick<BaseConfig, 'CRM_INTERNAL_SECRET'>): string[] {
  return config.CRM_INTERNAL_SECRET === DEV_INTERNAL_SECRET ? ['CRM_INTERNAL_SECRET'] : [];
}

/**
 * Development secrets are published in this repository: with any of them in use, a process may listen
 * on loopback only, so nobody else can sign principals or call in as admin with them.
 */
export function assertPrivateBindWithDevelopmentSecrets(host: string, developmentSecrets: readonly string[]): void {
  if (developmentSecrets.length === 0 || isLoopbackHost(host)) return;
  throw new ConfigError(
    `refusing to listen on HOST=${host} with development secrets (${developmentSecrets.join(', ')}): ` +
      'set them to private values, or listen on loopback (HOST=127.0.0.1)',
  );
}

/** Validates the environment at boot and fails fast with every problem named. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/**
 * A service's config: the base config its host loaded, joined to the service's own settings. A host
 * that runs several services (the suite) loads only the base, so each service reads its settings from
 * the environment; values the host already parsed win (and NODE_ENV reaches production checks).
 */
export function withServiceSettings<S extends z.ZodType<object>>(config: BaseConfig, settings: S, env: NodeJS.ProcessEnv = process.env): BaseConfig & z.infer<S> {
  const own: z.infer<S> = loadConfig(settings, { ...env, ...(config as Record<string, unknown>) } as NodeJS.ProcessEnv);
  return { ...config, ...own };
}
