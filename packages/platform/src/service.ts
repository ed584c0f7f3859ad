import path from 'node:path';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { createApp, type App } from './app';
import { appLimitsOf, type AppLimits } from './app-limits';
import type { MessageBus } from './bus';
import { assertPrivateBindWithDevelopmentSecrets, ConfigError, developmentSecretsOf, loadConfig, type BaseConfig } from './config';
import { openDatabase, pingDatabase, poolGaugeOf } from './database';
import { createInProcessBus, createKafkaBus } from './messaging';
import { createLogger, type Logger } from './logger';
import { systemRuntime, type Runtime } from './runtime';

/** What a service is handed to build itself: injected, never global. `C`: its config (base + its own settings). */
export interface ServiceContext<C extends BaseConfig = BaseConfig> {
  /** The process's database handle; a service narrows it with `db.withSchema(itsSchema)`. */
  db: Kysely<unknown>;
  bus: MessageBus;
  logger: Logger;
  runtime: Runtime;
  config: C;
  /** For `createApp`: URL length, slow-client timeouts and load shedding from the settings (defaults when absent). */
  limits?: AppLimits;
}

export interface StartedService {
  app: App;
  /** Stops background work (relay, consumers); the host closes the app, bus and database. */
  stop(): Promise<void>;
}

export interface ServiceDefinition<C extends BaseConfig = BaseConfig> {
  name: string;
  /** Env var naming its port, and the port when that is unset. */
  portEnv: string;
  defaultPort: number;
  /** Names of the service's own settings still at their public development default (none when absent). */
  developmentSecrets?(config: C): string[];
  /**
   * Its own settings read from the environment and joined to the base config: called once at boot, for
   * every service before any starts (one bad setting stops the process before anything listens).
   */
  configOf?(config: BaseConfig, env: NodeJS.ProcessEnv): C;
  start(context: ServiceContext<C>): Promise<StartedService>;
}

/**
 * The app of a service that owns data: createApp with the context's logger and limits, principals
 * verified with the internal secret, and ready when its database and the broker answer.
 */
export function createServiceApp(context: ServiceContext, options: { name: string; description: string }): Promise<App> {
  return createApp({
    ...options,
    logger: context.logger,
    limits: context.limits,
    principalSecret: context.config.CRM_INTERNAL_SECRET,
    readiness: [
      { name: 'database', check: () => pingDatabase(context.db) },
      { name: 'broker', check: () => context.bus.ping() },
    ],
  });
}

/** A service definition with its own config type, as the host's list (of services with different configs) takes it. */
export const defineService = <C extends BaseConfig>(definition: ServiceDefinition<C>): ServiceDefinition => definition;

export interface Infrastructure {
  db: Kysely<unknown>;
  bus: MessageBus;
  mode: { database: 'postgres' | 'embedded'; events: 'kafka' | 'in-process' };
  ping: { database(): Promise<void>; bus(): Promise<void> };
  close(): Promise<void>;
}

/** Real PostgreSQL and Kafka when configured, otherwise embedded PGlite and in-process delivery. */
export function openInfrastructure(config: BaseConfig, logger: Logger): Infrastructure {
  const db = config.DATABASE_URL
    ? openDatabase({
        kind: 'postgres',
        url: config.DATABASE_URL,
        poolSize: config.DB_POOL_SIZE,
        acquireTimeoutMs: config.DB_ACQUIRE_TIMEOUT_MS,
        statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
        idleInTransactionTimeoutMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      })
    : openDatabase({ kind: 'embedded', dataDir: path.resolve(config.DATA_DIR, 'pglite') });
  const bus = config.KAFKA_BROKERS
    ? createKafkaBus({
        brokers: config.KAFKA_BROKERS,
        clientId: 'crm',
        topicPrefix: config.KAFKA_TOPIC_PREFIX,
        logger,
        partitions: config.KAFKA_TOPIC_PARTITIONS,
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
        retentionHours: config.KAFKA_TOPIC_RETENTION_HOURS,
      })
    : createInProcessBus();
  return {
    db,
    bus,
    mode: { database: config.DATABASE_URL ? 'postgres' : 'embedded', events: config.KAFKA_BROKERS ? 'kafka' : 'in-process' },
    ping: { database: () => pingDatabase(db), bus: () => bus.ping() },
    async close() {
      await bus.close();
      await db.destroy();
    },
  };
}

function portOf(definition: ServiceDefinition, env: NodeJS.ProcessEnv): number {
  const value = env[definition.portEnv];
  if (value === undefined) return definition.defaultPort;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${definition.portEnv}=${value} is not a port`);
  return port;
}

/**
 * Process entry for one service or the whole suite: opens the infrastructure, starts every service
 * on its port, and shuts all down in order on SIGINT/SIGTERM (stop taking requests, finish relays,
 * then close the bus and database).
 */
export async function runServices(
  definitions: ServiceDefinition[],
  options: { config: BaseConfig; logger: Logger; env?: NodeJS.ProcessEnv },
): Promise<{ close(): Promise<void>; ports: Record<string, number> }> {
  const { config, logger } = options;
  const env = options.env ?? process.env;
  const serviceConfigs = definitions.map((definition) => definition.configOf?.(config, env) ?? config);
  const developmentSecrets = [...developmentSecretsOf(config), ...definitions.flatMap((definition, index) => definition.developmentSecrets?.(serviceConfigs[index] ?? config) ?? [])];
  assertPrivateBindWithDevelopmentSecrets(config.HOST, developmentSecrets);
  if (developmentSecrets.length > 0) logger.warn({ developmentSecrets, host: config.HOST }, 'development secrets in use: listening on loopback only');
  const infrastructure = openInfrastructure(config, logger);
  const limits = appLimitsOf(config, poolGaugeOf(infrastructure.db));
  // Embedded PGlite runs every query on the event loop: lag there is the database at work (a start-up's
  // migrations block it for seconds), not overload, and shedding would only refuse the one local user.
  if (infrastructure.mode.database === 'embedded') limits.maxEventLoopDelayMs = 0;
  logger.info(infrastructure.mode, 'infrastructure opened');
  const started: StartedService[] = [];
  const ports: Record<string, number> = {};
  try {
    for (const [index, definition] of definitions.entries()) {
      const service = await definition.start({
        db: infrastructure.db,
        bus: infrastructure.bus,
        logger: logger.child({ service: definition.name }),
        runtime: systemRuntime,
        config: serviceConfigs[index] ?? config,
        limits,
      });
      started.push(service);
      await service.app.listen({ host: config.HOST, port: portOf(definition, env) });
      const address = service.app.server.address();
      ports[definition.name] = typeof address === 'object' && address ? address.port : portOf(definition, env);
    }
  } catch (error) {
    await Promise.allSettled(started.map((service) => service.app.close().then(() => service.stop())));
    await infrastructure.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const service of [...started].reverse()) {
        await service.app.close();
        await service.stop();
      }
      await infrastructure.close();
    })());

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => process.exit(1), 15_000).unref();
      void close().then(
        () => {
          clearTimeout(timer);
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
  return { close, ports };
}

/**
 * A process's entry point (`main.ts`): loads the config with `schema`, runs the services, and exits 1 when
 * either fails — a configuration problem (invalid settings, a public bind with development secrets)
 * printed plainly on stderr, anything else logged.
 */
export function runMain(name: string, definitions: ServiceDefinition[], schema: z.ZodType<BaseConfig>): void {
  const refuse = (error: unknown) => {
    if (!(error instanceof ConfigError)) return false;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(1);
  };
  let config: BaseConfig;
  try {
    config = loadConfig(schema);
  } catch (error) {
    if (!refuse(error)) throw error;
    return;
  }
  const logger = createLogger({ name, level: config.LOG_LEVEL });
  runServices(definitions, { config, logger }).then(({ ports }) => {
    // One line that says where to go: the API (its docs where the gateway runs) and every service.
    const host = ['0.0.0.0', '::'].includes(config.HOST) ? '127.0.0.1' : config.HOST;
    const where = Object.entries(ports).map(([service, port]) => `${service} http://${host}:${port}${service === 'gateway' ? ` (API docs: http://${host}:${port}/docs)` : ''}`);
    logger.info(`ready: ${where.join(', ')}`);
  }, (error: unknown) => {
    if (refuse(error)) return;
    logger.fatal({ err: error }, `${name} failed to start`);
    process.exit(1);
  });
}
