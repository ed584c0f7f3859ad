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
}

/** `source` is the CloudEvents source of this service, e.g. `/crm/customers`. */
export function createOutbox(source: string, runtime: Runtime): Outbox {
  return {
    async append(trx, definition, data) {
      const payload = definition.data.parse(data);
      const event: CloudEvent = {
        specversion: '1.0',
        id: runtime.newId(),
        source,
        type: definition.type,
        subject: definition.key(payload),
        time: runtime.now().toISOString(),
        datacontenttype: 'application/json',
        data: payload,
      };
      await trx
        .insertInto('outbox')
        .values({ event_id: event.id, topic: definition.topic, key: event.subject, event: JSON.stringify(event) })
        .execute();
      return event;
    },
  };
}
