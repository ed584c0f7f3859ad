import { createHash, randomUUID } from 'node:crypto';
import { CustomerEvents, Topics, type CloudEvent } from '@crm/domain';
import { createTestDatabase, eventually, testKafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@crm/testkit';
import type { Kysely } from 'kysely';
import pino from 'pino';
import type { MessageBus, Subscription } from '../src/bus';
import { openDatabase } from '../src/database';
import { startEventConsumer, type EventHandler } from '../src/event-consumer';
import { createKafkaBus } from '../src/kafka-bus';
import { migrateToLatest } from '../src/migrations';
import { platformTablesMigration } from '../src/platform-tables.migration';

// Real Kafka: group joins and redeliveries take seconds (the project's testTimeout in jest.config.js is not applied).

const SCHEMA = 'test_svc';
const GROUP = 'test-consumer';
const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

let database: TestDatabase;
let root: Kysely<unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a service's schema-scoped handle, as services hold it
let db: Kysely<any>;
let bus: MessageBus;
let consumer: Subscription;

/** Failures still to inject, by customer id; the handler writes its effect first, so a failure must roll it back. */
const plannedFailures = new Map<string, number>();
const deliveries = new Map<string, number>();

const recordErasure: EventHandler = async (trx, event) => {
  const { customerId } = CustomerEvents.erased.data.parse(event.data);
  deliveries.set(customerId, (deliveries.get(customerId) ?? 0) + 1);
  await trx.insertInto('effect').values({ event_id: event.id, customer_id: customerId }).execute();
  const failuresLeft = plannedFailures.get(customerId) ?? 0;
  if (failuresLeft > 0) {
    plannedFailures.set(customerId, failuresLeft - 1);
    throw new Error(`planned failure for ${customerId}`);
  }
};

beforeAll(async () => {
  database = await createTestDatabase();
  root = openDatabase({ kind: 'postgres', url: database.url });
  await migrateToLatest(root, { schema: SCHEMA, migrations: { '2026-11-23T00:00_platform': platformTablesMigration } });
  db = root.withSchema(SCHEMA);
  await db.schema.createTable('effect').addColumn('event_id', 'text').addColumn('customer_id', 'text').execute();

  bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'consumer-test', topicPrefix: uniqueTopicPrefix(), logger });
  consumer = await startEventConsumer({
    db,
    bus,
    logger,
    groupId: GROUP,
    topics: [Topics.customers],
    handlers: { [CustomerEvents.erased.type]: recordErasure },
    maxAttempts: 3,
  });
});

afterAll(async () => {
  await consumer.close();
  await bus.close();
  await root.destroy();
  await database.drop();
});

function erasedEvent(customerId: string, id: string = randomUUID()): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: '/crm/customers',
    type: CustomerEvents.erased.type,
    subject: customerId,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { customerId },
  };
}

/** Publishes on the real topic, keyed by customer: one key's messages are consumed in order. */
async function publish(key: string, ...values: Array<CloudEvent | string>): Promise<void> {
  await bus.publish(
    Topics.customers,
    values.map((value) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
  );
}

async function effectsOf(customerId: string): Promise<string[]> {
  const rows = await db.selectFrom('effect').select('event_id').where('customer_id', '=', customerId).execute();
  return rows.map((row) => row.event_id as string);
}

/** Resolves once the marker's effect exists: every message published before it on the same key was handled. */
async function waitForEffectOf(customerId: string): Promise<void> {
  await eventually(`the effect of ${customerId}`, async () => ((await effectsOf(customerId)).length > 0 ? true : undefined), 30_000);
}

async function inboxRows(eventId: string): Promise<number> {
  const rows = await db.selectFrom('inbox').selectAll().where('consumer_group', '=', GROUP).where('event_id', '=', eventId).execute();
  return rows.length;
}

async function deadLetters(key: string): Promise<Array<{ message_value: string; error: string }>> {
  return db.selectFrom('dead_letter').select(['message_value', 'error']).where('message_key', '=', key).orderBy('id').execute();
}

it('applies an event delivered twice only once', async () => {
  const customerId = randomUUID();
  const marker = randomUUID();
  const event = erasedEvent(customerId);

  await publish(customerId, event, event, erasedEvent(marker));
  await waitForEffectOf(marker);

  expect(await effectsOf(customerId)).toEqual([event.id]);
  expect(deliveries.get(customerId)).toBe(1);
  expect(await inboxRows(event.id)).toBe(1);
});

it('retries a failing handler until it succeeds, with one effect in the end', async () => {
  const customerId = randomUUID();
  plannedFailures.set(customerId, 2);
  const event = erasedEvent(customerId);

  await publish(customerId, event);
  await waitForEffectOf(customerId);

  expect(deliveries.get(customerId)).toBe(3);
  expect(await effectsOf(customerId)).toEqual([event.id]);
  expect(await inboxRows(event.id)).toBe(1);
  expect(await deadLetters(customerId)).toEqual([]);
});

it('moves invalid messages to dead_letter at once and goes on with the next ones', async () => {
  const key = randomUUID();
  const next = erasedEvent(key);
  const notJson = '{"specversion": "1.0", ';
  const invalidData = erasedEvent('not-a-uuid');
  const notOurs = { ...erasedEvent(key), type: CustomerEvents.created.type, data: { anything: true } };

  await publish(key, notJson, JSON.stringify(invalidData), notOurs, next);
  await waitForEffectOf(key);

  const dead = await deadLetters(key);
  // Not an event: its content is withheld (no erasure could attribute it), its size and digest kept.
  expect(dead.map((row) => row.message_value)).toEqual([
    `[withheld: ${Buffer.byteLength(notJson)} bytes, sha256 ${createHash('sha256').update(notJson).digest('hex')}]`,
    JSON.stringify(invalidData),
  ]);
  expect(dead[0]?.error).toBe('not JSON');
  expect(dead[1]?.error).toMatch(/^invalid data for crm\.customer\.erased\.v1.*customerId/s);
  // An event of a type without a handler is acknowledged, neither handled nor dead-lettered.
  expect(await inboxRows(notOurs.id)).toBe(0);
  expect(await effectsOf(key)).toEqual([next.id]);
});

it('moves an event whose handler keeps failing to dead_letter after maxAttempts, with no effect, and goes on', async () => {
  const customerId = randomUUID();
  plannedFailures.set(customerId, Number.POSITIVE_INFINITY);
  const failing = erasedEvent(customerId);
  const marker = randomUUID();

  await publish(customerId, failing, erasedEvent(marker));
  await waitForEffectOf(marker);

  expect(deliveries.get(customerId)).toBe(3);
  expect(await effectsOf(customerId)).toEqual([]);
  expect(await inboxRows(failing.id)).toBe(0);
  const dead = await deadLetters(customerId);
  expect(dead).toHaveLength(1);
  expect(dead[0]?.message_value).toBe(JSON.stringify(failing));
  expect(dead[0]?.error).toMatch(/^handler failed 3 times: Error: planned failure/);
});

it('refuses handlers for event types the catalog does not know', async () => {
  await expect(
    startEventConsumer({ db, bus, logger, groupId: 'other', topics: [Topics.customers], handlers: { 'crm.nothing.v1': recordErasure } }),
  ).rejects.toThrow('no event in the catalog for handler(s) crm.nothing.v1');
});
