import { randomBytes } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { requireTestEnv } from './environment';

export function testKafkaBrokers(): string[] {
  return requireTestEnv('kafkaBrokers').split(',');
}

/** Topics of one test file never meet another's: services put this prefix before every topic name. */
export function uniqueTopicPrefix(): string {
  return `t${randomBytes(4).toString('hex')}.`;
}

export interface ReadOptions {
  /** Stop once this many messages have been read… */
  count?: number;
  /** …or once this holds for the messages read so far. */
  until?: (messages: KafkaMessage[]) => boolean;
  timeoutMs?: number;
}

/**
 * Reads a real topic from the beginning with a throwaway consumer group and returns the messages,
 * failing loudly when fewer than `count` arrive in time.
 */
export async function readTopic(topic: string, { count = 1, until, timeoutMs = 30_000 }: ReadOptions): Promise<KafkaMessage[]> {
  const done = until ?? ((messages: KafkaMessage[]) => messages.length >= count);
  const kafka = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(6).toString('hex')}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${messages.length} messages from ${topic} in ${timeoutMs} ms without reaching the expected ones`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: ({ message }) => {
          messages.push(message);
          if (done(messages)) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Polls `check` until it returns a value other than undefined, or fails with `what` after the timeout. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Partitions and `retention.ms` of a real topic, as the shared broker reports them. */
export async function describeTopic(topic: string): Promise<{ partitions: number; retentionMs: string | undefined }> {
  const admin = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const configs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false });
    return {
      partitions: metadata.topics[0]?.partitions.length ?? 0,
      retentionMs: configs.resources[0]?.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue,
    };
  } finally {
    await admin.disconnect();
  }
}
