import { randomUUID } from 'node:crypto';
import { CustomerEvents, Topics, type CloudEvent, type CustomerSnapshot, type EventData, type EventDefinition, type Principal } from '@crm/domain';
import {
  baseConfigSchema,
  createKafkaBus,
  createLogger,
  cloudEventOf,
  loadConfig,
  openDatabase,
  signPrincipal,
  systemRuntime,
  type MessageBus,
} from '@crm/platform';
import { asPrincipal, createTestDatabase, signInjectedPrincipals, testKafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@crm/testkit';
import type { Kysely } from 'kysely';
import { buildScoringService, type ScoringService } from '../src/app';
import { scoringConfigOf } from '../src/config';

export const SECRET = 'integration-test-internal-secret-0123456789';
export const admin: Principal = { kind: 'staff', subject: 'admin-1', roles: ['admin'] };
export const batchJob: Principal = { kind: 'integration', subject: 'nightly-batch', system: 'batch' };
export const dealerPrincipal = (dealerId: string): Principal => ({ kind: 'dealer', subject: `dealer-${dealerId}`, dealerId });
/** Names the request's principal; the harness's `inject` signs it for the request's method and path. */
export const as = asPrincipal;

export interface ScoringHarness {
  service: ScoringService;
  db: Kysely<unknown>;
  bus: MessageBus;
  /** Every event scoring has published on the real `crm.scoring` topic so far, as CloudEvents. */
  scoringEvents: CloudEvent[];
  /** Publishes a customers-service event on the real topic, as the customers service would; returns its id. */
  publishCustomerEvent<K extends keyof typeof CustomerEvents>(kind: K, data: EventData<(typeof CustomerEvents)[K]>): Promise<string>;
  /** Publishes any event of the catalogue on its real topic, as `source`'s outbox would; returns its id. */
  publishEvent<E extends EventDefinition>(source: string, definition: E, data: EventData<E>): Promise<string>;
  close(): Promise<void>;
}

export const snapshot = (id: string, overrides: Partial<CustomerSnapshot> = {}): CustomerSnapshot => ({
  id,
  kind: 'person',
  birthDate: null,
  lifecycleStage: 'active',
  roles: ['customer'],
  dealerId: null,
  city: 'Shanghai',
  region: null,
  country: 'CN',
  externalIds: [],
  consents: {},
  ...overrides,
});

/** The scoring service on a fresh database of the real PostgreSQL and the real Kafka broker. */
export async function startScoring(env: Record<string, string> = {}): Promise<ScoringHarness> {
  const database: TestDatabase = await createTestDatabase();
  const topicPrefix = uniqueTopicPrefix();
  const logger = createLogger({ name: 'scoring-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  // Parsed once, as a host does at boot: the base settings and scoring's.
  const settings = { ...env, NODE_ENV: 'test', DATABASE_URL: database.url, CRM_INTERNAL_SECRET: SECRET, KAFKA_TOPIC_PREFIX: topicPrefix };
  const config = scoringConfigOf(loadConfig(baseConfigSchema, settings), settings);
  const db = openDatabase({ kind: 'postgres', url: database.url, poolSize: 5 });
  const bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'scoring-test', topicPrefix, logger });
  const service = await buildScoringService({ db, bus, logger, runtime: systemRuntime, config });
  signInjectedPrincipals(service.app, (principal, request) => signPrincipal(principal, SECRET, request));
  const scoringEvents: CloudEvent[] = [];
  const subscription = await bus.subscribe({
    groupId: `test-${randomUUID()}`,
    topics: [Topics.scoring],
    fromBeginning: true,
    handle: async (message) => void scoringEvents.push(JSON.parse(message.value) as CloudEvent),
  });
  return {
    service,
    db,
    bus,
    scoringEvents,
    async publishCustomerEvent(kind, data) {
      // The same envelope the customers service's outbox makes, straight onto the real topic.
      const definition = CustomerEvents[kind];
      const event = cloudEventOf('/crm/customers', systemRuntime, definition, data as never);
      await bus.publish(definition.topic, [{ key: event.subject, value: JSON.stringify(event) }]);
      return event.id;
    },
    async publishEvent(source, definition, data) {
      const event = cloudEventOf(source, systemRuntime, definition, data);
      await bus.publish(definition.topic, [{ key: event.subject, value: JSON.stringify(event) }]);
      return event.id;
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
