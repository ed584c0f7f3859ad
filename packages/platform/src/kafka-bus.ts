import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type Consumer,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { z } from 'zod';
import type { BusMessage, ConsumedMessage, MessageBus, SubscribeOptions, Subscription } from './bus';
import type { Logger } from './logger';

/** How the topics `ensureTopics` creates are made; part of the base config (config.ts). */
export const kafkaTopicSettingsSchema = z.object({
  /** Partitions per topic: the most consumers of one group that can share a topic. Order holds per key. */
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3),
  /** Copies of each partition: 1 for a single development broker, 3 recommended in production. */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(10).default(1),
  /** How long a topic keeps events (`retention.ms`); events carry customer snapshots, so this bounds personal data on the broker. */
  KAFKA_TOPIC_RETENTION_HOURS: z.coerce.number().min(1).max(87_600).default(168),
});
export type KafkaTopicSettings = z.infer<typeof kafkaTopicSettingsSchema>;

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** Put before every topic name on the wire (`<prefix>crm.customers`), so test runs never meet. */
  topicPrefix?: string;
  logger: Logger;
  /** Partitions of the topics `ensureTopics` creates (default 3). */
  partitions?: number;
  /** Replication factor of the topics `ensureTopics` creates (default 1). */
  replicationFactor?: number;
  /** Retention of the topics `ensureTopics` creates, in hours (default 168: a week). */
  retentionHours?: number;
}

/** Below the readiness probe's own 3 s, so the probe shows which brokers did not answer. */
const PING_TIMEOUT_MS = 2_500;
/** Consumers that cannot start (the broker is down) try again after 0.5 s, 1 s, 2 s … up to this. */
const MAX_RESTART_DELAY_MS = 30_000;

/** Broker answers that mean the producer's id/sequence state is unusable: only a new producer gets past them. */
const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

/**
 * The one MessageBus over Apache Kafka (kafkajs). Publishing is idempotent, acks=all, one request in
 * flight, so a retried send keeps its sequence numbers: the broker drops the copy, order per key holds.
 */
export function createKafkaBus(options: KafkaBusOptions): MessageBus {
  const { brokers, clientId, topicPrefix = '', logger, partitions = 3, replicationFactor = 1, retentionHours = 168 } = options;
  const brokerList = brokers.join(',');
  const toWire = (topic: string) => `${topicPrefix}${topic}`;
  const fromWire = (topic: string) => topic.slice(topicPrefix.length);

  const kafka = new Kafka({
    clientId,
    brokers,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    // A short budget: with the broker down, publish rejects within seconds; the outbox relay does the long retrying.
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => logToPino(logger, entry),
  });

  const admin = lazilyConnected<Admin>(() => kafka.admin());
  const producer = lazilyConnected<Producer>(() =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    }),
  );
  const consumers = new Set<Consumer>();
  /** Subscriptions whose consumer is not running yet (the broker could not be reached), with the last error. */
  const notRunning = new Map<string, unknown>();
  /** Topics asked for whose creation has not succeeded yet: readiness waits for them. */
  const topicsPending = new Set<string>();
  let closed = false;

  const bus: MessageBus = {
    async ensureTopics(topics) {
      if (closed) throw new Error('kafka bus is closed');
      const wanted = [...new Set(topics.map(toWire))];
      for (const topic of wanted) topicsPending.add(topic);
      const client = await admin.get();
      const existing = new Set(await client.listTopics());
      const missing = wanted.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        // Resolves (false) rather than failing when another process created them in the meantime.
        await client.createTopics({
          topics: missing.map((topic) => ({
            topic,
            numPartitions: partitions,
            replicationFactor,
            configEntries: [{ name: 'retention.ms', value: String(Math.round(retentionHours * 3_600_000)) }],
          })),
          waitForLeaders: true,
        });
      }
      for (const topic of wanted) topicsPending.delete(topic);
    },

    async publish(topic, messages) {
      if (messages.length === 0) return;
      const client = await producer.get();
      try {
        await client.send({ topic: toWire(topic), acks: -1, messages: messages.map(toKafkaMessage) });
      } catch (error) {
        // The relay will resend these messages; a fresh producer id lets that succeed (at worst as a duplicate).
        if (causes(error).some((cause) => PRODUCER_STATE_ERRORS.has(errorType(cause)))) {
          logger.warn({ err: error }, 'kafka producer state rejected by the broker; starting a new producer');
          await producer.reset();
        }
        throw error;
      }
    },

    /**
     * Resolves once the group is joined, so messages published afterwards are seen. When the broker
     * cannot be reached it resolves anyway, after the first attempt, and keeps trying in the background
     * (readiness says so meanwhile): a service starts and serves without its broker.
     */
    async subscribe(options: SubscribeOptions): Promise<Subscription> {
      const { groupId, topics, fromBeginning = false } = options;
      let unsubscribed = false;
      const isClosed = () => unsubscribed || closed;
      let current: Consumer | undefined;
      const subscriptionKey = `${groupId} (${topics.join(',')})`;

      const start = async (): Promise<Consumer> => {
        await bus.ensureTopics(topics);
        const consumer = kafka.consumer({
          // Groups are namespaced like topics: one group id must never span two prefixes' topics.
          groupId: `${topicPrefix}${groupId}`,
          allowAutoTopicCreation: false,
          // An idle fetch returns after 1 s (not 5), so close() — which waits for it — is quick at shutdown.
          maxWaitTimeInMs: 1_000,
          // Redelivery pace of a rejected message; after the last retry kafkajs restarts the consumer and goes on.
          retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 10 },
        });
        consumers.add(consumer);
        // kafkajs restarts a consumer after a retriable crash, but leaves it stopped for good after any
        // other: then a new one takes over, so the service never silently stops consuming.
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (payload.restart || isClosed()) return;
          logger.error({ err: payload.error, groupId }, 'kafka consumer stopped for good; starting a new one');
          consumers.delete(consumer);
          notRunning.set(subscriptionKey, payload.error);
          void consumer
            .disconnect()
            .catch(() => undefined)
            .then(() => restartUntilRunning());
        });
        try {
          await consumer.connect();
          await consumer.subscribe({ topics: topics.map(toWire), fromBeginning });
          // Resolves once the group is joined, so messages published afterwards are seen.
          await consumer.run({
            eachMessage: async ({ topic, partition, message }) => {
              try {
                await options.handle(toConsumedMessage(fromWire(topic), partition, message));
              } catch (error) {
                // Not resolving the offset makes kafkajs fetch this message again after a backoff.
                throw new RedeliveryRequested(error);
              }
            },
          });
        } catch (error) {
          consumers.delete(consumer);
          await consumer.disconnect().catch(() => undefined);
          throw error;
        }
        return consumer;
      };

      const restartUntilRunning = async (): Promise<void> => {
        for (let attempt = 1; !isClosed(); attempt += 1) {
          try {
            const consumer = await start();
            // close() came while this one was starting: it has nobody to stop it but us.
            if (isClosed()) {
              consumers.delete(consumer);
              await consumer.disconnect();
            } else {
              current = consumer;
              notRunning.delete(subscriptionKey);
              logger.info({ groupId, attempt }, 'kafka consumer running');
            }
            return;
          } catch (error) {
            notRunning.set(subscriptionKey, error);
            logger.error({ err: error, groupId, attempt, brokers: brokerList }, 'kafka consumer could not start; trying again');
            await pause(Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** (attempt - 1)), () => isClosed());
          }
        }
      };

      try {
        current = await start();
      } catch (error) {
        notRunning.set(subscriptionKey, error);
        logger.error({ err: error, groupId, brokers: brokerList }, 'kafka consumer could not start; trying again in the background');
        void restartUntilRunning();
      }
      return {
        async close() {
          unsubscribed = true;
          notRunning.delete(subscriptionKey);
          const consumer = current;
          if (!consumer) return;
          consumers.delete(consumer);
          await consumer.disconnect();
        },
      };
    },

    async ping() {
      await withTimeout(
        admin.get().then((client) => client.describeCluster()),
        PING_TIMEOUT_MS,
        `kafka at ${brokerList} did not answer`,
      ).catch((error: unknown) => {
        const message = messageOf(error);
        throw new Error(message.includes(brokerList) ? message : `kafka at ${brokerList} cannot be reached: ${message}`, { cause: error });
      });
      const [waiting, error] = [...notRunning][0] ?? [];
      if (waiting) throw new Error(`kafka at ${brokerList}: consumer ${waiting} is not running yet (${messageOf(error)})`);
      if (topicsPending.size > 0) throw new Error(`kafka at ${brokerList}: topics not created yet: ${[...topicsPending].join(', ')}`);
    },

    async close() {
      closed = true;
      await Promise.all([...consumers].map((consumer) => consumer.disconnect()));
      consumers.clear();
      await Promise.all([producer.reset(), admin.reset()]);
    },
  };
  return bus;
}

/**
 * A handler's rejection, marked retriable: kafkajs then delivers the message again (a plain TypeError
 * would count as unrecoverable and stop the consumer for good).
 */
class RedeliveryRequested extends Error {
  readonly retriable = true;
  constructor(cause: unknown) {
    super(`message handler rejected, delivering again: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RedeliveryRequested';
  }
}

interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** Connects on first use, and again on the next use after a failed attempt or a reset. */
function lazilyConnected<T extends Connectable>(create: () => T) {
  let current: Promise<T> | undefined;
  return {
    get(): Promise<T> {
      if (!current) {
        const client = create();
        const connecting = client.connect().then(
          () => client,
          async (error: unknown) => {
            if (current === connecting) current = undefined;
            await client.disconnect().catch(() => undefined);
            throw error;
          },
        );
        current = connecting;
      }
      return current;
    },
    async reset(): Promise<void> {
      const previous = current;
      current = undefined;
      const client = await previous?.catch(() => undefined);
      await client?.disconnect();
    },
  };
}

function toKafkaMessage({ key, value, headers }: BusMessage) {
  return { key, value, headers };
}

function toConsumedMessage(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? '',
    value: message.value?.toString() ?? '',
    headers: decodeHeaders(message.headers),
  };
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) decoded[name] = first.toString();
  }
  return decoded;
}

function logToPino(logger: Logger, { namespace, level, log }: LogEntry): void {
  const { message, timestamp: _timestamp, error, ...details }: { message: string; timestamp: string; error?: unknown } = log;
  // Our retries are deliberately short: the relay resends the same rows, so this warning does not apply.
  if (message.startsWith('Limiting retries for the idempotent producer')) return;
  const fields = { kafka: namespace, ...details, ...(error instanceof Error ? { err: error } : { error }) };
  if (level === logLevel.ERROR) logger.error(fields, message);
  else if (level === logLevel.WARN) logger.warn(fields, message);
}

/** kafkajs wraps broker errors (KafkaJSNonRetriableError → KafkaJSProtocolError): walk the `cause` chain. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 10; current = (current as { cause?: unknown }).cause) {
    chain.push(current);
    if (typeof current !== 'object' || current === null) break;
  }
  return chain;
}

function errorType(error: unknown): string {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Sleeps `ms`, but ends early (checked every 100 ms) once `done()` holds, so a close is not kept waiting. */
async function pause(ms: number, done: () => boolean): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end && !done(); ) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, end - Date.now())).unref());
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
