import { Money$, roundToCurrency, SalesDealEvents, type Principal } from '@crm/domain';
import { customerDirectory, decodeCursor, encodeCursor, idempotencyScope, onceForKey, problem, Problems, requestHash, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { CatalogService } from '../catalog/catalog.service';
import type { OrderCommissionHook } from '../commissions/commission.service';
import type { CustomerLifecycle } from '../customer-directory/customer-lifecycle';
import type { SalesDb } from '../db/tables';
import { inScope } from '../ownership/ownership';
import { SalesProblems } from '../sales.problems';
import { orderRepository, type OrderLineRow, type OrderRow, type ReturnLineRow, type ReturnRow } from './order.repository';
import type { NewOrder, NewReturn, Order, OrderListQuery } from './order.schemas';
import { callerScope } from '../ownership/caller-scope';

const orderOf = (row: OrderRow, lines: OrderLineRow[], returns: ReturnRow[], returnLines: ReturnLineRow[]): Order => ({
  id: row.id,
  customerId: row.customer_id,
  dealerId: row.dealer_id,
  ownerSubject: row.owner_subject,
  currency: row.currency,
  status: row.status,
  total: row.total,
  lines: lines
    .filter((line) => line.order_id === row.id)
    .map((line) => ({
      lineNo: line.line_no,
      sku: line.sku,
      category: line.category,
      quantity: Number(line.quantity),
      unitPrice: line.unit_price,
      discountPercent: Number(line.discount_percent),
      amount: line.amount,
      priceRule: line.price_rule,
      returnedQuantity: Number(line.returned_quantity),
    })),
  returns: returns
    .filter((r) => r.order_id === row.id)
    .map((r) => ({
      id: r.id,
      returnedAt: r.returned_at.toISOString(),
      reason: r.reason,
      amount: r.amount,
      lines: returnLines.filter((l) => l.return_id === r.id).map((l) => ({ lineNo: l.line_no, quantity: Number(l.quantity), amount: l.amount })),
    })),
  placedAt: row.placed_at.toISOString(),
  placedBy: row.placed_by,
  cancelledAt: row.cancelled_at?.toISOString() ?? null,
  cancelReason: row.cancel_reason,
  version: row.version,
});

/** Who a sale (order or quote) is for and who sells it, as the principal may make it (404 for a customer outside its scope). */
export async function salePartiesOf(executor: SalesDb, principal: Principal, input: { customerId: string; dealerId?: string; ownerSubject?: string }) {
  const notFound = () => problem(Problems.notFound, `customer ${input.customerId} does not exist`);
  if (principal.kind !== 'staff' && (input.ownerSubject !== undefined || (input.dealerId !== undefined && !(principal.kind === 'dealer' && input.dealerId === principal.dealerId)))) {
    throw problem(Problems.unprocessable, 'only staff choose the selling dealer and the owning rep; a dealer sells as itself');
  }
  const customerId = await customerDirectory.finalSurvivorOf(executor, input.customerId);
  const customer = await customerDirectory.find(executor, customerId);
  if (!customer) throw notFound();
  if (principal.kind === 'account' && customer.id !== principal.customerId) throw notFound();
  if (principal.kind === 'dealer' && customer.dealer_id !== principal.dealerId) throw notFound();
  return {
    customerId: customer.id,
    dealerId: principal.kind === 'dealer' ? principal.dealerId : (input.dealerId ?? customer.dealer_id),
    ownerSubject: principal.kind === 'staff' ? (input.ownerSubject ?? principal.subject) : null,
  };
}
export type SaleParties = Awaited<ReturnType<typeof salePartiesOf>>;

const Cursor = z.object({ at: z.iso.datetime(), id: z.uuid() });

/** Orders: placed directly (priced from the books), cancelled, returned; each an event scoring books. */
export function createOrderService(deps: { db: SalesDb; runtime: Runtime; outbox: Outbox; write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>;
  catalog: CatalogService;
  /** Commissions accrue and claw back in the order's own transaction. */
  commissions?: OrderCommissionHook;
}) {
  const { db, runtime, outbox } = deps;
  const scopeOf = (principal: Principal, executor: SalesDb = db) => callerScope(executor, principal);
  const load = async (executor: SalesDb, rows: OrderRow[]) => {
    const ids = rows.map((row) => row.id);
    const [lines, { returns, lines: returnLines }] = [await orderRepository.linesOf(executor, ids), await orderRepository.returnsOf(executor, ids)];
    return rows.map((row) => orderOf(row, lines, returns, returnLines));
  };
  /** The order if the principal may see it; otherwise the same 404 as for one that does not exist. */
  const visibleOrder = async (executor: SalesDb, principal: Principal, id: string, forUpdate = false) => {
    const row = await orderRepository.find(executor, id, { forUpdate });
    if (!row || !inScope(await scopeOf(principal, executor), row)) throw problem(Problems.notFound, `order ${id} does not exist`);
    return row;
  };

  /** Writes a priced order and its event (in the caller's transaction): a direct order, or one from an accepted quote. */
  const recordPlaced = async (trx: SalesDb, principal: Principal, id: string, parties: SaleParties, currency: string, lines: OrderLineRow[]): Promise<Order> => {
    const at = runtime.now();
    const total = roundToCurrency(lines.reduce((sum, line) => sum.plus(line.amount), new Money$(0)), currency);
    const row = await orderRepository.insert(
      trx,
      { id, customer_id: parties.customerId, dealer_id: parties.dealerId, owner_subject: parties.ownerSubject, currency, status: 'placed', total, placed_at: at, placed_by: `${principal.kind}:${principal.subject}`, cancelled_at: null, cancel_reason: null },
      lines,
    );
    await outbox.append(trx, SalesDealEvents.orderPlaced, {
      orderId: id,
      customerId: parties.customerId,
      dealerId: parties.dealerId,
      placedAt: at.toISOString(),
      currency,
      lines: lines.map((line) => ({ lineId: String(line.line_no), sku: line.sku, category: line.category, quantity: Number(line.quantity), amount: line.amount })),
      total,
    });
    await deps.commissions?.placed(trx, { id, ownerSubject: parties.ownerSubject, dealerId: parties.dealerId, currency, placedAt: at, lines: lines.map((line) => ({ lineNo: line.line_no, category: line.category, amount: line.amount })) });
    const [order] = await load(trx, [row]);
    return order!;
  };

  return Object.freeze({
    recordPlaced,

    async place(principal: Principal, input: NewOrder, idempotencyKey: string | undefined): Promise<{ order: Order; replayed: boolean }> {
      const stored = await deps.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('orders.create', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          const parties = await salePartiesOf(trx, principal, input);
          const id = runtime.newId();
          const lines: OrderLineRow[] = [];
          for (const [index, line] of input.lines.entries()) {
            const { product, price } = await deps.catalog.priceFor(trx, { sku: line.sku, currency: input.currency, quantity: line.quantity, customerId: parties.customerId, dealerId: parties.dealerId ?? undefined });
            if (!product) throw problem(SalesProblems.ruleViolation, `lines.${index}: no product with sku ${line.sku}`);
            if (!product.active) throw problem(SalesProblems.ruleViolation, `lines.${index}: product ${line.sku} is not active: it cannot be sold`);
            if (!price) throw problem(SalesProblems.ruleViolation, `lines.${index}: nothing prices ${line.sku} in ${input.currency}`);
            const gross = new Money$(price.unitPrice).times(line.quantity);
            const amount = roundToCurrency(gross.minus(gross.times(line.discountPercent).dividedBy(100)), input.currency);
            lines.push({
              order_id: id,
              line_no: index + 1,
              sku: product.sku,
              category: product.category,
              quantity: String(line.quantity),
              unit_price: price.unitPrice,
              discount_percent: String(line.discountPercent),
              amount,
              price_rule: price.rule,
              returned_quantity: '0',
            });
          }
          const order = await recordPlaced(trx, principal, id, parties, input.currency, lines);
          return { statusCode: 201, body: order };
        }),
      );
      return { order: stored.body as Order, replayed: stored.replayed };
    },

    async get(principal: Principal, id: string): Promise<Order> {
      const [order] = await load(db, [await visibleOrder(db, principal, id)]);
      return order!;
    },

    async list(principal: Principal, query: OrderListQuery) {
      const before = decodeCursor(query.cursor, Cursor);
      const rows = await orderRepository.list(db, await scopeOf(principal), {
        customerId: query.customerId,
        status: query.status,
        before: before ? { at: new Date(before.at), id: before.id } : undefined,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { items: await load(db, page), nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.placed_at.toISOString(), id: last.id }) : null };
    },

    async cancel(principal: Principal, id: string, reason: string): Promise<Order> {
      return deps.write(async (trx) => {
        const current = await visibleOrder(trx, principal, id, true);
        if (current.status !== 'placed') throw problem(SalesProblems.invalidTransition, `order ${id} is ${current.status}`);
        const { returns } = await orderRepository.returnsOf(trx, [id]);
        if (returns.length > 0) throw problem(SalesProblems.invalidTransition, `order ${id} has returns: return the rest instead of cancelling`);
        const at = runtime.now();
        const row = await orderRepository.cancel(trx, id, at, reason);
        if (row.customer_id) await outbox.append(trx, SalesDealEvents.orderCancelled, { orderId: id, customerId: row.customer_id, dealerId: row.dealer_id, cancelledAt: at.toISOString(), reason: 'cancelled' });
        await deps.commissions?.cancelled(trx, { orderId: id, cancelledAt: at });
        const [order] = await load(trx, [row]);
        return order!;
      });
    },

    async returnLines(principal: Principal, id: string, input: NewReturn): Promise<Order> {
      return deps.write(async (trx) => {
        const current = await visibleOrder(trx, principal, id, true);
        if (current.status !== 'placed') throw problem(SalesProblems.invalidTransition, `order ${id} is ${current.status}: nothing to return`);
        const lines = await orderRepository.linesOf(trx, [id]);
        const returnId = runtime.newId();
        const at = runtime.now();
        const returned: ReturnLineRow[] = [];
        for (const [index, wanted] of input.lines.entries()) {
          const line = lines.find((l) => l.line_no === wanted.lineNo);
          if (!line) throw problem(SalesProblems.ruleViolation, `lines.${index}: order ${id} has no line ${wanted.lineNo}`);
          const left = new Money$(line.quantity).minus(line.returned_quantity);
          if (left.lessThan(wanted.quantity)) throw problem(SalesProblems.ruleViolation, `lines.${index}: only ${left.toString()} of line ${wanted.lineNo} remain to return`);
          // The share of the line's net amount, so discounts return with it.
          const amount = roundToCurrency(new Money$(line.amount).times(wanted.quantity).dividedBy(line.quantity), current.currency);
          returned.push({ return_id: returnId, line_no: line.line_no, quantity: String(wanted.quantity), amount });
        }
        const total = roundToCurrency(returned.reduce((sum, line) => sum.plus(line.amount), new Money$(0)), current.currency);
        await orderRepository.insertReturn(trx, { id: returnId, order_id: id, returned_at: at, reason: input.reason ?? null, amount: total }, returned);
        if (current.customer_id) {
          await outbox.append(trx, SalesDealEvents.orderReturned, {
            orderId: id,
            returnId,
            customerId: current.customer_id,
            dealerId: current.dealer_id,
            returnedAt: at.toISOString(),
            currency: current.currency,
            lines: returned.map((r) => {
              const line = lines.find((l) => l.line_no === r.line_no)!;
              return { lineId: String(r.line_no), sku: line.sku, category: line.category, quantity: Number(r.quantity), amount: r.amount };
            }),
          });
        }
        await deps.commissions?.returned(trx, { orderId: id, returnId, returnedAt: at, lines: returned.map((r) => ({ lineNo: r.line_no, amount: r.amount })) });
        const [order] = await load(trx, [(await orderRepository.find(trx, id))!]);
        return order!;
      });
    },

    /** Merge: the duplicate's orders are the survivor's. Erasure: orders stay as anonymous figures. Export: the orders. */
    lifecycle: {
      merged: (trx, mergedId, survivorId) => orderRepository.moveCustomer(trx, mergedId, survivorId),
      erased: (trx, ids) => orderRepository.unlinkCustomers(trx, ids),
      exported: async (executor, ids) => {
        const orders = await load(executor, await orderRepository.ofCustomers(executor, ids));
        return { orders: orders.map((order) => ({ ...order })) };
      },
    } satisfies CustomerLifecycle,
  });
}
export type OrderService = ReturnType<typeof createOrderService>;
