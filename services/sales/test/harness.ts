import { randomUUID } from 'node:crypto';
import { CustomerEvents, ScoringEvents, Topics, type CloudEvent, type CustomerSnapshot, type EventData, type EventDefinition, type Principal } from '@crm/domain';
import {
  baseConfigSchema,
  cloudEventOf,
  customerDirectory,
  createKafkaBus,
  createLogger,
  loadConfig,
  openDatabase,
  signPrincipal,
  systemRuntime,
  type MessageBus,
  type Runtime,
  type StartedService,
} from '@crm/platform';
import { asPrincipal, createTestDatabase, signInjectedPrincipals, testKafkaBrokers, uniqueTopicPrefix, eventually, type TestDatabase } from '@crm/testkit';
import type { Kysely } from 'kysely';
import { buildSalesService } from '../src/app';
import { salesConfigOf } from '../src/config';

export const SECRET = 'integration-test-internal-secret-0123456789';
export const admin: Principal = { kind: 'staff', subject: 'admin-1', roles: ['admin'] };
export const erp: Principal = { kind: 'integration', subject: 'erp-1', system: 'erp' };
export const rep = (subject: string): Principal => ({ kind: 'staff', subject, roles: ['sales'] });
export const manager = (subject: string): Principal => ({ kind: 'staff', subject, roles: ['sales-manager'] });
export const dealerPrincipal = (dealerId: string): Principal => ({ kind: 'dealer', subject: `dealer-${dealerId}`, dealerId });
export const accountPrincipal = (customerId: string, role: 'buyer' | 'approver' | 'viewer', subject = `${role}-${customerId}`): Principal => ({ kind: 'account', subject, customerId, role });
/** Names the request's principal; the harness's `inject` signs it for the request's method and path. */
export const as = asPrincipal;

export const snapshot = (id: string, overrides: Partial<CustomerSnapshot> = {}): CustomerSnapshot => ({
  id,
  kind: 'person',
  birthDate: null,
  lifecycleStage: 'active',
  roles: ['customer'],
  dealerId: null,
  city: 'Shanghai',
  region: 'Shanghai',
  country: 'CN',
  externalIds: [],
  consents: {},
  version: 1,
  ...overrides,
});

export interface SalesHarness {
  service: StartedService;
  db: Kysely<unknown>;
  bus: MessageBus;
  /** Every event sales has published on the real `crm.sales` topic so far, as CloudEvents. */
  salesEvents: CloudEvent[];
  /** Publishes an event of another service on its real topic, as that service's outbox would; returns its id. */
  publish<E extends EventDefinition>(definition: E, data: EventData<E>): Promise<string>;
  /** Publishes `crm.customer.created.v1` and waits until the directory holds the customer. */
  knownCustomer(snapshot: CustomerSnapshot): Promise<void>;
  close(): Promise<void>;
}

/**
 * The sales service on a fresh database of the real PostgreSQL and the real Kafka broker. `env` adds
 * settings; `runtime` replaces the clock (SLA tests move time by hand).
 */
export async function startSales(options: { env?: Record<string, string>; runtime?: Runtime } = {}): Promise<SalesHarness> {
  const database: TestDatabase = await createTestDatabase();
  const topicPrefix = uniqueTopicPrefix();
  const logger = createLogger({ name: 'sales-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const env = { NODE_ENV: 'test', DATABASE_URL: database.url, CRM_INTERNAL_SECRET: SECRET, KAFKA_TOPIC_PREFIX: topicPrefix, ...options.env };
  const config = salesConfigOf(loadConfig(baseConfigSchema, env), env);
  const db = openDatabase({ kind: 'postgres', url: database.url, poolSize: 5 });
  const bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'sales-test', topicPrefix, logger });
  const runtime = options.runtime ?? systemRuntime;
  const service = await buildSalesService({ db, bus, logger, runtime, config });
  // Signatures prove transport freshness against the wall clock, whatever business time the test injects.
  signInjectedPrincipals(service.app, (principal, request) => signPrincipal(principal, SECRET, request));
  const salesEvents: CloudEvent[] = [];
  const subscription = await bus.subscribe({
    groupId: `test-${randomUUID()}`,
    topics: [Topics.sales],
    fromBeginning: true,
    handle: async (message) => void salesEvents.push(JSON.parse(message.value) as CloudEvent),
  });
  const publish = async <E extends EventDefinition>(definition: E, data: EventData<E>) => {
    const source = definition.topic === Topics.scoring ? '/crm/scoring' : '/crm/customers';
    const event = cloudEventOf(source, systemRuntime, definition, data);
    await bus.publish(definition.topic, [{ key: event.subject, value: JSON.stringify(event) }]);
    return event.id;
  };
  return {
    service,
    db,
    bus,
    salesEvents,
    publish,
    async knownCustomer(customer) {
      await publish(CustomerEvents.created, { customer });
      await eventually(`customer ${customer.id} in the sales directory`, async () => (await customerDirectory.find(db.withSchema('sales'), customer.id)) ?? undefined);
    },
    async close() {
      await subscription.close();
      await service.app.close();
      await service.stop();
      await bus.close();
      await db.destroy();
      await database.drop();
    },
  };
}

export { ScoringEvents };
