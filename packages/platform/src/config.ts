import { z } from 'zod';
import { ndjsonSettingsShape } from './ndjson';

/** Only for development and tests; production refuses to start with it. */
export const DEV_INTERNAL_SECRET = 'development-only-internal-secret-do-not-use';

/** Settings every service shares; a service extends this with its own. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
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
  /** HMAC key the gateway signs forwarded principals with; services reject anything unsigned. */
  CRM_INTERNAL_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_INTERNAL_SECRET),
  ...ndjsonSettingsShape,
}).refine((env) => env.NODE_ENV !== 'production' || env.CRM_INTERNAL_SECRET !== DEV_INTERNAL_SECRET, {
  path: ['CRM_INTERNAL_SECRET'],
  message: 'must be set in production (the development default is public)',
});
export type BaseConfig = z.infer<typeof baseConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
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
