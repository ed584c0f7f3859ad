import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CloudEvent, defineEvent } from '@crm/domain';
import { createTestDatabase, eventually, readTopic, testKafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@crm/testkit';
import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import { z } from 'zod';
import type { ConsumedMessage, MessageBus } from '../src/bus';
import { openDatabase } from '../src/database';
import { createKafkaBus } from '../src/kafka-bus';
import { migrateToLatest } from '../src/migrations';
import { createOutbox } from '../src/outbox';
import { outboxLeaseMigration } from '../src/outbox-lease.migration';
import { createOutboxRelay, type OutboxRelay } from '../src/outbox-relay';
import { platformTablesMigration } from '../src/platform-tables.migration';
import { systemRuntime } from '../src/runtime';

// Real Kafka and PostgreSQL (the project's testTimeout in jest.config.js is not applied).

const SCHEMA = 'test_svc';
const TOPIC = 'crm.test';
const kafkaScripts = path.resolve(__dirname, '../../../infra/kafka');
const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

/** A test-only event: one stream per `key`, numbered by `seq`, so order and gaps are visible on the topic. */
const Sequenced = defineEvent({
  type: 'crm.test.sequenced.v1',
  topic: TOPIC,
  data: z.object({ key: z.string(), seq: z.number().int() }),
  key: (data) => data.key,
});
const outbox = createOutbox('/crm/test', systemRuntime);

let database: TestDatabase;
let root: Kysely<unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a service's schema-scoped handle, as services hold it
let db: Kysely<any>;

beforeAll(async () => {
  database = await createTestDatabase();
  root = openDatabase({ kind: 'postgres', url: database.url });
  await migrateToLatest(root, { schema: SCHEMA, migrations: { '2026-11-23T00:00_platform': platformTablesMigration, '2026-11-29T15-00_outbox-lease': outboxLeaseMigration } });
  db = root.withSchema(SCHEMA);
});

afterAll(async () => {
  await root.destroy();
  await database.drop();
});

async function appendInOneTransaction(events: Array<{ key: string; seq: number }>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const data of events) await outbox.append(trx, Sequenced, data);
  });
}

async function outboxCount(): Promise<number> {
  const row = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The `seq` numbers per key, in the order the topic holds them. */
function sequencesByKey(values: string[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const value of values) {
    const event = CloudEvent.parse(JSON.parse(value));
    const { key, seq } = Sequenced.data.parse(event.data);
    byKey.set(key, [...(byKey.get(key) ?? []), seq]);
  }
  return byKey;
}

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('outbox relay on the shared broker', () => {
  let bus: MessageBus;
  let relay: OutboxRelay;
  const topicPrefix = uniqueTopicPrefix();

  beforeAll(async () => {
    bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'relay-test', topicPrefix, logger });
    await bus.ensureTopics([TOPIC]);
    // A small batch, so draining takes several full batches in a row.
    relay = createOutboxRelay({ db, schema: SCHEMA, bus, logger, batchSize: 7, pollIntervalMs: 50 });
    relay.start();
  });

  afterAll(async () => {
    await relay.stop();
    await bus.close();
  });

  it('publishes committed events as CloudEvents in order per key, never a rolled-back one, and empties the outbox', async () => {
    const keys = ['alpha', 'beta', 'gamma'];
    for (let seq = 1; seq <= 5; seq += 1) await appendInOneTransaction(keys.map((key) => ({ key, seq })));
    // Between alpha's 5 and 6: if this leaked, alpha's stream would show 99 (or miss a later event in the read).
    await expect(
      db.transaction().execute(async (trx) => {
        await outbox.append(trx, Sequenced, { key: 'alpha', seq: 99 });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    for (let seq = 6; seq <= 10; seq += 1) {
      for (const key of keys) await appendInOneTransaction([{ key, seq }]);
      relay.wake();
    }
    await relay.drain();

    const messages = await readTopic(`${topicPrefix}${TOPIC}`, { count: 30 });
    const values = messages.map((message) => message.value?.toString() ?? '');
    expect(sequencesByKey(values)).toEqual(new Map(keys.map((key) => [key, oneTo(10)])));
    for (const message of messages) {
      expect(message.headers?.['content-type']?.toString()).toBe('application/cloudevents+json');
      const event = CloudEvent.parse(JSON.parse(message.value?.toString() ?? ''));
      expect(message.key?.toString()).toBe(event.subject);
      expect(event.type).toBe(Sequenced.type);
    }
    expect(await outboxCount()).toBe(0);
  });
});

describe('two outbox relays on one schema (two replicas of a service)', () => {
  it('publishes each event once and in order per key, because only the lease holder publishes', async () => {
    const topicPrefix = uniqueTopicPrefix();
    const buses = ['replica-a', 'replica-b'].map((clientId) => createKafkaBus({ brokers: testKafkaBrokers(), clientId, topicPrefix, logger }));
    await buses[0]?.ensureTopics([TOPIC]);
    const relays = buses.map((bus) => createOutboxRelay({ db, schema: SCHEMA, bus, logger, batchSize: 5, pollIntervalMs: 10 }));
    const keys = ['red', 'green', 'blue'];
    try {
      for (const relay of relays) relay.start();
      for (let seq = 1; seq <= 20; seq += 1) {
        await appendInOneTransaction(keys.map((key) => ({ key, seq })));
        for (const relay of relays) relay.wake();
      }
      await Promise.all(relays.map((relay) => relay.drain()));
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
      await Promise.all(buses.map((bus) => bus.close()));
    }

    // A duplicate would take the place of an event in these 60 and show in the sequences.
    const messages = await readTopic(`${topicPrefix}${TOPIC}`, { count: 60 });
    const values = messages.map((message) => message.value?.toString() ?? '');
    expect(sequencesByKey(values)).toEqual(new Map(keys.map((key) => [key, oneTo(20)])));
    expect(await outboxCount()).toBe(0);
  });
});

describe('the relay lease (leadership without a transaction held open)', () => {
  it('waits while another process holds an unexpired lease, takes over once it expires, and releases it on stop', async () => {
    const topicPrefix = uniqueTopicPrefix();
    const bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'lease-test', topicPrefix, logger });
    await bus.ensureTopics([TOPIC]);
    // A process that died while leading: its lease runs for 3 more seconds.
    const deadLease = { holder: 'a-process-that-died', expires_at: sql<Date>`now() + interval '3 seconds'` };
    await db.insertInto('outbox_lease').values({ name: 'outbox', ...deadLease }).onConflict((c) => c.column('name').doUpdateSet(deadLease)).execute();
    const relay = createOutboxRelay({ db, schema: SCHEMA, bus, logger, pollIntervalMs: 50 });
    try {
      relay.start();
      await appendInOneTransaction([{ key: 'lease', seq: 1 }]);
      relay.wake();
      await sleep(1_500);
      expect(await outboxCount()).toBe(1);

      await relay.drain();
      expect(await outboxCount()).toBe(0);
      const lease = await db.selectFrom('outbox_lease').select(['holder', sql<boolean>`expires_at > now()`.as('live')]).executeTakeFirstOrThrow();
      expect(lease).toEqual({ holder: expect.not.stringMatching('a-process-that-died'), live: true });
    } finally {
      await relay.stop();
      await bus.close();
    }
    // Released at stop: another replica need not wait for it to run out.
    expect(await db.selectFrom('outbox_lease').select(sql<boolean>`expires_at > now()`.as('live')).executeTakeFirstOrThrow()).toEqual({ live: false });
    const messages = await readTopic(`${topicPrefix}${TOPIC}`, { count: 1 });
    expect(sequencesByKey(messages.map((message) => message.value?.toString() ?? ''))).toEqual(new Map([['lease', [1]]]));
  });
});

describe('outbox relay through a broker outage', () => {
  let port: number;
  let kafkaEnv: NodeJS.ProcessEnv;
  let bus: MessageBus | undefined;
  let relay: OutboxRelay | undefined;

  const kafka = (script: 'start' | 'stop', ...args: string[]) =>
    promisify(execFile)(path.join(kafkaScripts, script), args, { env: kafkaEnv, timeout: 150_000 });

  beforeAll(async () => {
    // Our own broker: stopping it must not disturb the test files that use the shared one.
    port = await freePortPair();
    kafkaEnv = { ...process.env, KAFKA_PORT: String(port), KAFKA_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'crm-kafka-outage-')) };
    await kafka('start');
  }, 150_000);

  afterAll(async () => {
    await relay?.stop();
    await bus?.close();
    await kafka('stop', '--wipe');
  }, 60_000);

  it('publishes every event exactly once and in order per key although the broker stops and comes back mid-stream', async () => {
    await db.deleteFrom('outbox').execute();
    bus = createKafkaBus({ brokers: [`127.0.0.1:${port}`], clientId: 'relay-outage-test', topicPrefix: 'outage.', logger });
    await bus.ensureTopics([TOPIC]);
    relay = createOutboxRelay({ db, schema: SCHEMA, bus, logger, batchSize: 50, pollIntervalMs: 50 });
    relay.start();

    // One writer: each transaction appends the next event of all three keys, as services do under load.
    const keys = ['k1', 'k2', 'k3'];
    let written = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        written += 1;
        await appendInOneTransaction(keys.map((key) => ({ key, seq: written })));
        relay?.wake();
        await sleep(20);
      }
    })();

    try {
      await eventually('events published before the outage', async () => (written >= 20 && (await outboxCount()) < 3 * written ? true : undefined));
      await kafka('stop');
      const writtenWhenDown = written;
      await expect(bus.ping()).rejects.toThrow();
      await eventually('events piling up in the outbox while the broker is down', async () =>
        written >= writtenWhenDown + 50 && (await outboxCount()) >= 3 * 50 ? true : undefined,
      );
      // The relay keeps failing on the broker (each try takes seconds), yet holds no transaction open meanwhile.
      for (let look = 0; look < 30; look += 1) {
        expect(await transactionsOpenOnOtherConnections()).toEqual([]);
        await sleep(100);
      }
      await kafka('start');
      await sleep(1_000);
    } finally {
      writing = false;
      await writer;
    }
    await expect(bus.ping()).resolves.toBeUndefined();
    await relay.drain();
    expect(await outboxCount()).toBe(0);

    const values = await readAll(bus, 3 * written);
    expect(values).toHaveLength(3 * written);
    expect(sequencesByKey(values)).toEqual(new Map(keys.map((key) => [key, oneTo(written)])));
  }, 180_000);
});

/** Connections of this database idle inside a transaction for over half a second (the writer's commit in milliseconds). */
async function transactionsOpenOnOtherConnections(): Promise<string[]> {
  const { rows } = await sql<{ state: string }>`
    select state from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and state like 'idle in transaction%'
      and state_change < clock_timestamp() - interval '500 milliseconds'`.execute(root);
  return rows.map((row) => row.state);
}

/**
 * Reads the whole topic from our own broker (testkit's readTopic reads the shared one) through a fresh
 * consumer group, then waits a little longer so a duplicate would be seen too.
 */
async function readAll(bus: MessageBus, expected: number): Promise<string[]> {
  const values: string[] = [];
  const subscription = await bus.subscribe({
    groupId: `outage-reader-${randomInt(1e9)}`,
    topics: [TOPIC],
    fromBeginning: true,
    handle: (message: ConsumedMessage) => {
      values.push(message.value);
      return Promise.resolve();
    },
  });
  try {
    await eventually(`${expected} events on the topic`, () => Promise.resolve(values.length >= expected ? true : undefined), 30_000);
    await sleep(2_000);
  } finally {
    await subscription.close();
  }
  return values;
}

async function freePortPair(): Promise<number> {
  // The broker takes KAFKA_PORT and the controller KAFKA_PORT+1; stay clear of the shared 9092/9093.
  for (let port = 19_092 + 2 * randomInt(500); port < 29_000; port += 2) {
    if ((await portIsFree(port)) && (await portIsFree(port + 1))) return port;
  }
  throw new Error('no free port pair for the outage broker');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
