import type { Principal } from '@crm/domain';
import {
  baseConfigSchema,
  createKafkaBus,
  createLogger,
  loadConfig,
  openDatabase,
  signPrincipal,
  systemRuntime,
  type MessageBus,
} from '@crm/platform';
import { asPrincipal, createTestDatabase, signInjectedPrincipals, testKafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@crm/testkit';
import type { Kysely } from 'kysely';
import { buildCustomersService, type CustomersApp } from '../src/app';

export const SECRET = 'integration-test-internal-secret-0123456789';
export const admin: Principal = { kind: 'staff', subject: 'admin-1', roles: ['admin'] };
export const analyst: Principal = { kind: 'staff', subject: 'analyst-1', roles: ['analyst'] };
export const erp: Principal = { kind: 'integration', subject: 'erp-1', system: 'erp' };
export const dealerPrincipal = (dealerId: string): Principal => ({ kind: 'dealer', subject: `dealer-${dealerId}`, dealerId });

/** Names the request's principal; the harness's `inject` signs it for the request's method and path. */
export const as = asPrincipal;

export interface Harness {
  service: CustomersApp;
  db: Kysely<unknown>;
  bus: MessageBus;
  topicPrefix: string;
  close(): Promise<void>;
}

/** The customers service on a fresh database of the real PostgreSQL and the real Kafka broker; `env` adds settings. */
export async function startCustomers(env: Record<string, string> = {}): Promise<Harness> {
  const database: TestDatabase = await createTestDatabase();
  const topicPrefix = uniqueTopicPrefix();
  const logger = createLogger({ name: 'customers-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const config = loadConfig(baseConfigSchema, { ...env, NODE_ENV: 'test', DATABASE_URL: database.url, CRM_INTERNAL_SECRET: SECRET, KAFKA_TOPIC_PREFIX: topicPrefix });
  const db = openDatabase({ kind: 'postgres', url: database.url, poolSize: 5 });
  const bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'customers-test', topicPrefix, logger });
  const service = await buildCustomersService({ db, bus, logger, runtime: systemRuntime, config });
  signInjectedPrincipals(service.app, (principal, request) => signPrincipal(principal, SECRET, request));
  return {
    service,
    db,
    bus,
    topicPrefix,
    async close() {
      await service.app.close();
      await service.stop();
      await bus.close();
      await db.destroy();
      await database.drop();
    },
  };
}
