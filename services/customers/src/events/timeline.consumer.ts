import { ScoringEvents, type CloudEvent, type EventDefinition } from '@crm/domain';
import type { EventHandler } from '@crm/platform';
import { addTimelineEntries, type Db } from '../db/customer.repository';

/** Interactions other services report about a customer, kept on its one lifetime timeline. */
const TIMELINE_EVENTS: readonly EventDefinition[] = [ScoringEvents.tierChanged, ScoringEvents.segmentEntered, ScoringEvents.segmentLeft];

export function timelineHandlers(): Record<string, EventHandler> {
  const record: EventHandler = async (trx, event: CloudEvent) => {
    // An event about a merged-away customer (sent before the sender learnt of the merge) goes on the survivor's timeline.
    const merged = await (trx as Db).selectFrom('customer').select('merged_into').where('id', '=', event.subject).executeTakeFirst();
    await addTimelineEntries(trx as Db, [
      { customerId: merged?.merged_into ?? event.subject, occurredAt: event.time, type: event.type, source: event.source, data: event.data },
    ]);
  };
  return Object.fromEntries(TIMELINE_EVENTS.map((definition) => [definition.type, record]));
}
