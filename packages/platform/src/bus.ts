/**
 * Our own small messaging interface. kafkajs is unmaintained, so nothing outside
 * `kafka-bus.ts` may import it: swapping the client means writing one new MessageBus.
 */
export interface BusMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface ConsumedMessage extends BusMessage {
  /** Logical topic name (without the bus's topic prefix). */
  topic: string;
  partition: number;
  offset: string;
}

export interface SubscribeOptions {
  groupId: string;
  /** Logical topic names. */
  topics: string[];
  fromBeginning?: boolean;
  /** Called once per message, in order per partition; a rejection means "not handled, deliver again". */
  handle(message: ConsumedMessage): Promise<void>;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface MessageBus {
  /** Creates the topics that do not exist yet; the broker never auto-creates them. */
  ensureTopics(topics: string[]): Promise<void>;
  /** Resolves once every message is durably accepted, kept in order per key. */
  publish(topic: string, messages: BusMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Readiness: rejects when the broker cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
