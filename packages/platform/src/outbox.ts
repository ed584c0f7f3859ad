import { CloudEvent, type EventData, type EventDefinition } from '@crm/domain';
import type { Kysely } from 'kysely';
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

// Five parameters a row: stay well below PostgreSQL's 65,535 bind parameters per statement.
const ROWS_PER_INSERT = 5000;

/** `source` is the CloudEvents source of this service, e.g. `/crm/customers`. */
export function createOutbox(source: string, runtime: Runtime): Outbox {
  const toEvent = <E extends EventDefinition>(definition: E, data: EventData<E>): CloudEvent => {
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
  };
  const appendMany: Outbox['appendMany'] = async (trx, definition, data) => {
    const events = data.map((item) => toEvent(definition, item));
    for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
      const rows = events.slice(start, start + ROWS_PER_INSERT).map((event) => ({
        event_id: event.id,
        topic: definition.topic,
        key: event.subject,
        event: JSON.stringify(event),
      }));
      await trx.insertInto('outbox').values(rows).execute();
    }
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
