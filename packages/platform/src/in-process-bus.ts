import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { BusMessage, ConsumedMessage, MessageBus, Subscription } from './bus';

export interface InProcessBusOptions {
  /** Messages kept per topic for groups that subscribe later (`fromBeginning`), once every live group has them. */
  retainPerTopic?: number;
  /** Pause before a rejected message is delivered again. */
  redeliveryDelayMs?: number;
}

/** One topic's log, like a single Kafka partition: the message at offset `o` is `messages[o - firstOffset]`. */
interface TopicLog {
  firstOffset: number;
  messages: BusMessage[];
  /** Pumps waiting for a message past the end. */
  waiting: Set<() => void>;
  /** Publishers waiting for their messages to be handled; called whenever a group moves on or leaves. */
  delivering: Set<() => void>;
}

interface GroupCursor {
  /** Next offset to deliver; survives `close`, so a group that subscribes again resumes there. */
  position: number;
  live: boolean;
}

/**
 * The MessageBus of the embedded mode (one process). `publish` appends, and resolves only once every
 * group subscribed to the topic has handled the messages (its handler resolved: the event consumer's
 * transaction committed). The outbox relay deletes its rows only then, so a crash loses no event: the
 * rows are still in the outbox and go out again at the next start (the consumers' inbox drops what
 * they had handled). Handlers run on a later turn of the event loop, never inside `publish`, and the
 * relay holds no transaction while it waits, so a handler can use the single embedded connection.
 * A group that leaves before handling them makes `publish` reject: the rows stay and are sent again.
 */
export function createInProcessBus(options: InProcessBusOptions = {}): MessageBus {
  const retainPerTopic = options.retainPerTopic ?? 10_000;
  const redeliveryDelayMs = options.redeliveryDelayMs ?? 100;
  const logs = new Map<string, TopicLog>();
  /** By group id, then topic. */
  const cursors = new Map<string, Map<string, GroupCursor>>();
  const subscriptions = new Set<Subscription>();
  let closed = false;

  function logOf(topic: string): TopicLog {
    let log = logs.get(topic);
    if (!log) {
      log = { firstOffset: 0, messages: [], waiting: new Set(), delivering: new Set() };
      logs.set(topic, log);
    }
    return log;
  }

  const endOf = (log: TopicLog) => log.firstOffset + log.messages.length;

  /** Drops what is beyond retention and already delivered to every live group. */
  function trim(topic: string, log: TopicLog): void {
    let keepFrom = endOf(log) - retainPerTopic;
    for (const group of cursors.values()) {
      const cursor = group.get(topic);
      if (cursor?.live) keepFrom = Math.min(keepFrom, cursor.position);
    }
    if (keepFrom > log.firstOffset) {
      log.messages.splice(0, keepFrom - log.firstOffset);
      log.firstOffset = keepFrom;
    }
  }

  function wakePumps(log: TopicLog): void {
    const waiting = [...log.waiting];
    log.waiting.clear();
    for (const wake of waiting) wake();
  }

  const notifyPublishers = (log: TopicLog) => {
    for (const check of [...log.delivering]) check();
  };

  /** Resolves once every group live now has handled everything up to `end`; rejects if one leaves first. */
  function delivered(topic: string, log: TopicLog, end: number): Promise<void> {
    const groups = [...cursors.values()].flatMap((group) => {
      const cursor = group.get(topic);
      return cursor?.live ? [cursor] : [];
    });
    return new Promise((resolve, reject) => {
      const check = () => {
        if (groups.every((cursor) => cursor.position >= end)) {
          log.delivering.delete(check);
          resolve();
        } else if (groups.some((cursor) => !cursor.live && cursor.position < end)) {
          log.delivering.delete(check);
          reject(new Error(`in-process bus: a consumer of ${topic} stopped before handling the messages`));
        }
      };
      log.delivering.add(check);
      check();
    });
  }

  /** Delivers one topic's messages to one group, in order; a rejected message is delivered again. */
  async function pump(topic: string, cursor: GroupCursor, handle: (message: ConsumedMessage) => Promise<void>): Promise<void> {
    const log = logOf(topic);
    await nextTurn(); // never deliver inside the caller of subscribe or publish
    while (cursor.live) {
      cursor.position = Math.max(cursor.position, log.firstOffset);
      const message = log.messages[cursor.position - log.firstOffset];
      if (!message) {
        await new Promise<void>((resolve) => log.waiting.add(resolve));
        continue;
      }
      try {
        await handle({ ...message, topic, partition: 0, offset: String(cursor.position) });
        cursor.position += 1;
        notifyPublishers(log);
      } catch {
        await sleep(redeliveryDelayMs);
      }
    }
  }

  return {
    ensureTopics(topics) {
      for (const topic of topics) logOf(topic);
      return Promise.resolve();
    },

    publish(topic, messages) {
      if (closed) return Promise.reject(new Error('in-process bus is closed'));
      const log = logOf(topic);
      log.messages.push(...messages);
      const end = endOf(log);
      trim(topic, log);
      // Deliver on a later turn of the event loop, never inside the publisher's call (see above).
      setImmediate(() => wakePumps(log));
      return delivered(topic, log, end);
    },

    subscribe(options) {
      const { groupId, topics, fromBeginning = false } = options;
      if (closed) return Promise.reject(new Error('in-process bus is closed'));
      const groupCursors = cursors.get(groupId) ?? new Map<string, GroupCursor>();
      cursors.set(groupId, groupCursors);
      if (topics.some((topic) => groupCursors.get(topic)?.live)) {
        return Promise.reject(new Error(`consumer group "${groupId}" already has a live subscription here`));
      }
      const active = topics.map((topic) => {
        const log = logOf(topic);
        const cursor = groupCursors.get(topic) ?? { position: fromBeginning ? log.firstOffset : endOf(log), live: true };
        cursor.live = true;
        groupCursors.set(topic, cursor);
        return { log, cursor, done: pump(topic, cursor, (message) => options.handle(message)) };
      });
      const subscription: Subscription = {
        async close() {
          subscriptions.delete(subscription);
          for (const { log, cursor } of active) {
            cursor.live = false;
            wakePumps(log);
          }
          // The handler in flight finishes; nothing after it is delivered.
          await Promise.all(active.map(({ done }) => done));
          for (const { log } of active) notifyPublishers(log);
        },
      };
      subscriptions.add(subscription);
      return Promise.resolve(subscription);
    },

    ping: () => (closed ? Promise.reject(new Error('in-process bus is closed')) : Promise.resolve()),

    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
    },
  };
}
