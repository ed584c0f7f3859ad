import { ScoringEvents, type CloudEvent, type EventDefinition } from '@crm/domain';
import type { EventHandler } from '@crm/platform';
import { addTimelineEntries, type Db } from '../db/customer.repository';

/** Interactions other services report about a customer, kept on its one lifetime timeline. */
const TIMELINE_EVENTS: readonly EventDefinition[] = [ScoringEvents.tierChanged, ScoringEvents.segmentEntered, ScoringEvents.segmentLeft];

export function timelineHandlers(): Record<string, EventHandler> {
  const record: EventHandler = async (trx, event: CloudEvent) => {
    await addTimelineEntries(trx as Db, [
      { customerId: event.subject, occurredAt: event.time, type: event.type, source: event.source, data: event.data },
    ]);
  };
  return Object.fromEntries(TIMELINE_EVENTS.map((definition) => [definition.type, record]));
}
