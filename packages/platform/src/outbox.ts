import { CloudEvent, type EventData, type EventDefinition } from '@crm/domain';
import { sql, type Kysely } from 'kysely';
import type { Runtime } from './runtime';

export interface Outbox {
  /**
   * Records an event in the same transaction as the state change it describes (no dual writes);
   * the relay publishes it after commit. The payload is validated here, so a bad event fails the
   * transaction instead of reaching consumers.
   */
  append<E extends EventDefinition>(trx: Kysely<any>, definition: E, data: EventData<E>): Promise<CloudEvent>;
  /** The same for many events of one definition in a single statement (bulk paths), in the given order. */
  appendMany<E extends EventDefinition>(trx: Kysely<any>, definition: E, data: EventData<E>[]): Promise<CloudEvent[]>;
}



/** `source` is the CloudEvents source of this service, e.g. `/crm/customers`. */
/** The CloudEvent for an event of the catalog; its payload is validated against the definition. */
export function cloudEventOf<E extends EventDefinition>(source: string, runtime: Runtime, definition: E, data: EventData<E>): CloudEvent {
  const payload = definition.data.parse(data);
  return {
    specversion: '1.0',
    id: runtime.newId(),
    source,
    type: definition.type,
    subject: definition.key(payload),
    time: runtime.now().toISOString(),
    datacontenttype: 'application/json',
    data: payload,
  };
}

export function createOutbox(source: string, runtime: Runtime): Outbox {
  const toEvent = <E extends EventDefinition>(definition: E, data: EventData<E>) => cloudEventOf(source, runtime, definition, data);
  const appendMany: Outbox['appendMany'] = async (trx, definition, data) => {
    const events = data.map((item) => toEvent(definition, item));
    if (events.length === 0) return events;
    // One JSON parameter for all events: a fixed-size statement, and no per-element array escaping.
    await trx
      .insertInto('outbox')
      .columns(['event_id', 'topic', 'key', 'event'])
      .expression(sql`select e->>'id', ${definition.topic}, e->>'subject', e from jsonb_array_elements(${JSON.stringify(events)}::jsonb) as e`)
      .execute();
    return events;
  };
  return {
    appendMany,
    async append(trx, definition, data) {
      const [event] = await appendMany(trx, definition, [data]);
      return event as CloudEvent;
    },
  };
}
