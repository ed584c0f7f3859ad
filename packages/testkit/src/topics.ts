import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { testKafkaBrokers } from './kafka';

export interface TopicRecord {
  topic: string;
  key: string | null;
  value: string | null;
}

/**
 * Every message retained on every topic whose name starts with `prefix` (a test's topic prefix), read
 * from the beginning up to the end offsets as they were when called. For tests that must prove what a
 * log does (not) hold.
 */
export async function readEveryTopic(prefix: string, timeoutMs = 30_000): Promise<TopicRecord[]> {
  const kafka = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map<string, string>();
  let topics: string[];
  try {
    topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > BigInt(low)) remaining.set(`${topic}/${partition}`, (BigInt(high) - 1n).toString());
      }
    }
  } finally {
    await admin.disconnect();
  }
  const records: TopicRecord[] = [];
  if (remaining.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length} messages under ${prefix} in ${timeoutMs} ms, partitions left: ${[...remaining.keys()].join(', ')}`)), timeoutMs);
      void consumer.run({
        eachMessage: ({ topic, partition, message }) => {
          records.push({ topic, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null });
          const last = remaining.get(`${topic}/${partition}`);
          if (last !== undefined && BigInt(message.offset) >= BigInt(last)) remaining.delete(`${topic}/${partition}`);
          if (remaining.size === 0) {
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
  return records;
}
