import { SalesDealEvents, type EventData, type Principal } from '@crm/domain';
import { eventHandlersFor, type EventHandler, type Runtime } from '@crm/platform';
import type { ScoringDatabase, ScoringDb } from '../db/tables';
import { checkChunk, writeChunk, type IngestContext } from './transaction-ingest.service';
import { transactionsRepository } from './transactions.repository';
import type { TransactionInput } from './transactions.schemas';

/** Who books the sales service's orders: an integration, so its rows land in the shared namespace. */
const SALES_SERVICE: Principal = { kind: 'integration', subject: 'sales-service', system: 'erp' };
const SOURCE = 'sales';

type OrderLine = EventData<typeof SalesDealEvents.orderPlaced>['lines'][number];

/** An order's (or a return's) lines as transactions: one per line, its external id `<prefix>:<line>`. */
function transactionsOf(
  type: 'sale' | 'return',
  prefix: string,
  occurredAt: string,
  event: { customerId: string; dealerId: string | null; currency: string; lines: OrderLine[] },
): TransactionInput[] {
  return event.lines.map((line) => ({
    sourceSystem: SOURCE,
    externalId: `${prefix}:${line.lineId}`,
    customer: { id: event.customerId },
    occurredAt,
    type,
    amount: { amount: line.amount, currency: event.currency },
    quantity: line.quantity,
    product: line.sku,
    ...(line.category ? { category: line.category } : {}),
    channel: 'sales',
    ...(event.dealerId ? { dealerId: event.dealerId } : {}),
  }));
}

/**
 * The closed loop: every order the sales service places, returns or cancels is booked as transactions
 * (source system `sales`) in the event's own transaction — idempotent by external id, a return as a
 * return — and the customer is queued for rescoring, so scores and tier move within seconds.
 */
export function salesOrderHandlers(deps: { runtime: Runtime; baseCurrency: string }): Record<string, EventHandler> {
  const on = eventHandlersFor<ScoringDatabase>();
  const book = async (trx: ScoringDb, rows: TransactionInput[], what: string) => {
    if (rows.length === 0) return;
    // The event's time is the business time; a clock ahead of ours is not the sender's mistake here.
    const context: IngestContext = { principal: SALES_SERVICE, runtime: deps.runtime, baseCurrency: deps.baseCurrency, clockSkewMs: 366 * 86_400_000, write: (work) => work(trx) };
    const { results } = await writeChunk(checkChunk(rows.map((value, index) => ({ index, value })), context), context);
    const refused = results.filter((result) => result.status === 'rejected');
    // Retried, then dead-lettered with the reason (a missing exchange rate, typically): never half-booked.
    if (refused.length > 0) throw new Error(`${what} could not be booked: ${refused.map((r) => r.reason).join('; ')}`);
  };
  return {
    ...on(SalesDealEvents.orderPlaced, (trx, order) => book(trx, transactionsOf('sale', `order:${order.orderId}`, order.placedAt, order), `order ${order.orderId}`)),
    ...on(SalesDealEvents.orderReturned, (trx, returned) =>
      book(trx, transactionsOf('return', `return:${returned.returnId}`, returned.returnedAt, returned), `return ${returned.returnId}`),
    ),
    // A cancelled order is returned in full: every line it booked, at the amount booked.
    ...on(SalesDealEvents.orderCancelled, async (trx, cancelled) => {
      const booked = await transactionsRepository.salesWithExternalIdPrefix(trx, SOURCE, `order:${cancelled.orderId}:`);
      await book(
        trx,
        booked.map((sale) => ({
          sourceSystem: SOURCE,
          externalId: `cancel:${sale.external_id.slice('order:'.length)}`,
          customer: { id: sale.customer_id ?? cancelled.customerId },
          occurredAt: cancelled.cancelledAt,
          type: 'return',
          amount: { amount: sale.amount, currency: sale.currency },
          quantity: Number(sale.quantity),
          ...(sale.product ? { product: sale.product } : {}),
          ...(sale.category ? { category: sale.category } : {}),
          channel: 'sales',
          ...(sale.dealer_id ? { dealerId: sale.dealer_id } : {}),
        })),
        `cancellation of order ${cancelled.orderId}`,
      );
    }),
  };
}
