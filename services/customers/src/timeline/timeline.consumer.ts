import { SalesDealEvents, SalesPipelineEvents, ScoringEvents, type CloudEvent, type EventDefinition } from '@crm/domain';
import type { EventHandler } from '@crm/platform';
import { customerRepository } from '../customers/customers.repository';
import type { Db } from '../db/tables';
import { timelineRepository } from './timeline.repository';

/** Interactions other services report about a customer, kept on its one lifetime timeline (each has its entry schema in timeline.schemas.ts). */
export const TIMELINE_EVENTS: readonly EventDefinition[] = [
  ScoringEvents.tierChanged,
  ScoringEvents.segmentEntered,
  ScoringEvents.segmentLeft,
  SalesDealEvents.orderPlaced,
  SalesDealEvents.orderReturned,
  SalesDealEvents.orderCancelled,
  SalesPipelineEvents.activityLogged,
];

export function timelineHandlers(): Record<string, EventHandler> {
  const record: EventHandler = async (trx, event: CloudEvent) => {
    const db = trx as Db;
    const customer = await customerRepository.statusOf(db, event.subject);
    // What other services report after an erasure (their own clean-up, say "left segment") is about
    // nobody any more: an erased customer's timeline stays empty.
    if (customer?.status === 'erased') return;
    // An event about a merged-away customer (sent before the sender learnt of the merge) goes on the survivor's timeline.
    await timelineRepository.addEntries(db, [
      { customerId: customer?.merged_into ?? event.subject, occurredAt: event.time, type: event.type, source: event.source, data: event.data },
    ]);
  };
  return Object.fromEntries(TIMELINE_EVENTS.map((definition) => [definition.type, record]));
}
