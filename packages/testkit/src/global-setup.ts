import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { TEST_ENV } from './environment';

const repoRoot = path.resolve(__dirname, '../../..');
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Where a container runtime exists, testcontainers provides both services. */
function containerRuntimeAvailable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function startContainers(): Promise<void> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const [postgres, kafka] = await Promise.all([
    new PostgreSqlContainer('postgres:15-alpine').start(),
    new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start(),
  ]);
  (globalThis as Record<string, unknown>).__crmContainers = [postgres, kafka];
  process.env[TEST_ENV.databaseUrl] = postgres.getConnectionUri();
  process.env[TEST_ENV.kafkaBrokers] = `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
}

/** Whether something accepts connections on 127.0.0.1:port (a quick probe, no client retries). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1000 });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true)).once('error', () => done(false)).once('timeout', () => done(false));
  });
}

async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${url} (${String(error)}).\n` +
        'Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkKafka(brokers: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    throw new Error(`Kafka is not reachable at ${brokers} (${String(error)}).\nStart it with infra/kafka/start or set KAFKA_BROKERS.`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A broker that answers metadata may still be loading its group and producer-id coordinators (a fresh
 * one takes a while). Tests start only once an idempotent producer can send and a consumer group can
 * join and read, so no test spends its own timeout waiting for the broker to finish starting.
 */
async function warmUpKafka(brokers: string): Promise<void> {
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, clientId: 'crm-test-warm-up', retry: { retries: 10 } });
  const topic = 'crm-test-warm-up';
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch(() => false);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'ready?' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `crm-test-warm-up-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('a consumer group could not read from the broker within 60 s')), 60_000);
      void consumer.run({
        eachMessage: async () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

export default async function globalSetup(): Promise<void> {
  if (containerRuntimeAvailable() && !process.env.DATABASE_URL && !process.env.KAFKA_BROKERS) {
    await startContainers();
    return;
  }
  const databaseUrl = process.env.DATABASE_URL ?? LOCAL_POSTGRES;
  await checkPostgres(databaseUrl);
  process.env[TEST_ENV.databaseUrl] = databaseUrl;

  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    brokers = '127.0.0.1:9092';
    const running = await listening(9092);
    // Idempotent: reuses a running broker, otherwise starts one from Maven Central jars.
    execFileSync(path.join(repoRoot, 'infra/kafka/start'), { stdio: 'inherit' });
    if (!running) process.env[TEST_ENV.startedKafka] = '1';
  }
  await checkKafka(brokers);
  await warmUpKafka(brokers);
  process.env[TEST_ENV.kafkaBrokers] = brokers;
}
