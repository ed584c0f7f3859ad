import path from 'node:path';
import type { Kysely } from 'kysely';
import type { App } from './app';
import type { MessageBus } from './bus';
import { DEV_INTERNAL_SECRET, type BaseConfig } from './config';
import { openDatabase, pingDatabase } from './database';
import { createInProcessBus, createKafkaBus } from './messaging';
import type { Logger } from './logger';
import { systemRuntime, type Runtime } from './runtime';

/** What a service is handed to build itself: injected, never global. */
export interface ServiceContext {
  /** The process's database handle; a service narrows it with `db.withSchema(itsSchema)`. */
  db: Kysely<unknown>;
  bus: MessageBus;
  logger: Logger;
  runtime: Runtime;
  config: BaseConfig;
}

export interface StartedService {
  app: App;
  /** Stops background work (relay, consumers); the host closes the app, bus and database. */
  stop(): Promise<void>;
}

export interface ServiceDefinition {
  name: string;
  /** Env var naming its port, and the port when that is unset. */
  portEnv: string;
  defaultPort: number;
  start(context: ServiceContext): Promise<StartedService>;
}

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
    ? openDatabase({ kind: 'postgres', url: config.DATABASE_URL })
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
  if (config.CRM_INTERNAL_SECRET === DEV_INTERNAL_SECRET) logger.warn('CRM_INTERNAL_SECRET is the development default');
  const infrastructure = openInfrastructure(config, logger);
  logger.info(infrastructure.mode, 'infrastructure opened');
  const started: StartedService[] = [];
  const ports: Record<string, number> = {};
  try {
    for (const definition of definitions) {
      const service = await definition.start({
        db: infrastructure.db,
        bus: infrastructure.bus,
        logger: logger.child({ service: definition.name }),
        runtime: systemRuntime,
        config,
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
