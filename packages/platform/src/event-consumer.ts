import { createHash } from 'node:crypto';
import { CloudEvent, eventCatalog, type EventData, type EventDefinition } from '@crm/domain';
import type { Generated, Kysely } from 'kysely';
import { z } from 'zod';
import type { ConsumedMessage, MessageBus, Subscription } from './bus';
import type { Logger } from './logger';

/** Runs inside the transaction that records the event in the inbox: its writes and that record commit together. */
 
export type EventHandler = (trx: Kysely<any>, event: CloudEvent) => Promise<void>;

/** A handler of one event type: its data already checked against the catalog's schema, so typed by it. */
export type TypedEventHandler<DB, E extends EventDefinition> = (trx: Kysely<DB>, data: EventData<E>, event: CloudEvent) => Promise<void>;

/**
 * The typed way to register event handlers, for a service's own database type:
 * `const on = eventHandlersFor<ScoringDatabase>(); handlers: { ...on(CustomerEvents.created, async (trx, { customer }) => …) }`.
 * The consumer validates `data` against the event's schema before any handler runs: this is the one place
 * that knows it, so handlers need no casts.
 */
export function eventHandlersFor<DB>() {
  return <E extends EventDefinition>(definition: E, handle: TypedEventHandler<DB, E>): Record<E['type'], EventHandler> =>
    ({ [definition.type]: (trx: Kysely<any>, event: CloudEvent) => handle(trx as Kysely<DB>, event.data as EventData<E>, event) }) as Record<E['type'], EventHandler>;
}

export interface EventConsumerOptions {
  /** The service's database handle, already narrowed with `db.withSchema(schema)`. */
   
  db: Kysely<any>;
  bus: MessageBus;
  logger: Logger;
  groupId: string;
  topics: string[];
  /** By CloudEvents type; events of other types are acknowledged and ignored. */
  handlers: Record<string, EventHandler>;
  /** Failed deliveries of one event before it goes to `dead_letter`. */
  maxAttempts?: number;
  /** Where a group that has never committed starts; default true, so a new read model sees the retained history. */
  fromBeginning?: boolean;
}

interface ConsumerTables {
  inbox: { consumer_group: string; event_id: string; handled_at: Generated<Date> };
  dead_letter: {
    id: Generated<string>;
    consumer_group: string;
    topic: string;
    message_key: string | null;
    message_value: string;
    error: string;
    created_at: Generated<Date>;
  };
}

type Parsed = { ok: true; event: CloudEvent } | { ok: false; error: string };

/**
 * Consumes CloudEvents exactly once in effect: the inbox row (group, event id) and the handler's writes
 * commit in one transaction, so a redelivered event changes nothing. A failing handler is retried through
 * redelivery; after `maxAttempts`, or at once for a message that is not a valid event, the message goes
 * to `dead_letter` and consumption goes on. Nothing is dropped silently.
 */
export async function startEventConsumer(options: EventConsumerOptions): Promise<Subscription> {
  const { bus, groupId, topics, handlers, maxAttempts = 5, fromBeginning = true } = options;
  const db = options.db as Kysely<ConsumerTables>;
  const logger = options.logger.child({ component: 'event-consumer', groupId });
  const unknownTypes = Object.keys(handlers).filter((type) => !eventCatalog.has(type));
  if (unknownTypes.length > 0) throw new Error(`no event in the catalog for handler(s) ${unknownTypes.join(', ')}`);
  /** Failed deliveries per event id; in memory, so a restart grants an event a few more tries. */
  const failures = new Map<string, number>();

  async function deadLetter(message: ConsumedMessage, error: string, value = message.value): Promise<void> {
    logger.error({ topic: message.topic, offset: message.offset, error }, 'message moved to dead_letter');
    await db
      .insertInto('dead_letter')
      .values({ consumer_group: groupId, topic: message.topic, message_key: message.key, message_value: value, error })
      .execute();
  }

  async function handle(message: ConsumedMessage): Promise<void> {
    const parsed = parseCloudEvent(message.value);
    // Not an event of the suite: nothing says whose data it may quote, so no erasure could find it. Its
    // content is withheld (size and digest kept to match it against the topic), never stored.
    if (!parsed.ok) return deadLetter(message, parsed.error, withheld(message.value));
    const handler = handlers[parsed.event.type];
    if (!handler) return;
    const event = parsed.event;
    // Present: checked against the catalog at start.
    const data = eventCatalog.get(event.type)?.data.safeParse(event.data);
    if (!data?.success) return deadLetter(message, `invalid data for ${event.type}: ${data ? z.prettifyError(data.error) : ''}`);

    try {
      await db.transaction().execute(async (trx) => {
        const firstTime = await trx
          .insertInto('inbox')
          .values({ consumer_group: groupId, event_id: event.id })
          .onConflict((conflict) => conflict.doNothing())
          .returning('event_id')
          .executeTakeFirst();
        if (firstTime) await handler(trx, { ...event, data: data.data });
      });
      failures.delete(event.id);
    } catch (error) {
      const attempts = (failures.get(event.id) ?? 0) + 1;
      if (attempts < maxAttempts) {
        failures.set(event.id, attempts);
        logger.warn({ err: error, eventId: event.id, type: event.type, attempts }, 'event handler failed; it will be delivered again');
        throw error;
      }
      failures.delete(event.id);
      await deadLetter(message, `handler failed ${attempts} times: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }

  return bus.subscribe({ groupId, topics, fromBeginning, handle });
}

const withheld = (value: string) => `[withheld: ${Buffer.byteLength(value)} bytes, sha256 ${createHash('sha256').update(value).digest('hex')}]`;

function parseCloudEvent(value: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    // JSON.parse's message quotes the text: it is not repeated here.
    return { ok: false, error: 'not JSON' };
  }
  const result = CloudEvent.safeParse(json);
  // Only the paths of the issues: their messages may quote values.
  return result.success ? { ok: true, event: result.data } : { ok: false, error: `not a CloudEvent: ${result.error.issues.map((issue) => issue.path.join('.') || '(message)').join(', ')}` };
}
