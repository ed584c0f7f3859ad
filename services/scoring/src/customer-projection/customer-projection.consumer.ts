import { CustomerEvents } from '@crm/domain';
import { eventHandlersFor, lockForTransaction, type EventHandler } from '@crm/platform';
import type { ScoringDatabase } from '../db/tables';
import { ScoringLocks } from '../locks';
import type { CustomerProjection } from './customer-projection.service';

const on = eventHandlersFor<ScoringDatabase>();

/** crm.customers events into scoring's read model of customers (see customer-projection.service.ts). */
export function customerProjectionHandlers(projection: CustomerProjection): Record<string, EventHandler> {
  const handlers: Record<string, EventHandler> = {
    ...on(CustomerEvents.created, (trx, { customer }, event) => projection.project(trx, customer, event.time)),
    ...on(CustomerEvents.updated, (trx, { customer }, event) => projection.project(trx, customer, event.time)),
    ...on(CustomerEvents.merged, (trx, { survivorId, mergedId, survivor }, event) => projection.merge(trx, { survivorId, mergedId, survivor }, event.time)),
    ...on(CustomerEvents.erased, (trx, { customerId, mergedIds = [] }, event) => projection.erase(trx, customerId, mergedIds, event.time)),
  };
  // Every customer event may link, re-key or unlink transactions: never while an ingest is resolving customers.
  return Object.fromEntries(
    Object.entries(handlers).map(([type, handle]) => [
      type,
      async (trx, event) => {
        await lockForTransaction(trx, ScoringLocks.customerLinks);
        await handle(trx, event);
      },
    ]),
  );
}
