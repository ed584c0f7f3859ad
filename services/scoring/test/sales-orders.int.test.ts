import { randomUUID } from 'node:crypto';
import { SalesDealEvents, ScoringEvents } from '@crm/domain';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { admin, as, snapshot, startScoring, type ScoringHarness } from './harness';

/** The closed loop: orders the sales service places, returns and cancels move the customer's scores. */
let h: ScoringHarness;
beforeAll(async () => {
  h = await startScoring();
});
afterAll(() => h.close());

const placed = (customerId: string, orderId = randomUUID()) => ({
  orderId,
  customerId,
  dealerId: null,
  placedAt: new Date(Date.now() - 3_600_000).toISOString(),
  currency: 'CNY',
  lines: [
    { lineId: '1', sku: 'SUV-1', category: 'cars', quantity: 1, amount: '200000.00' },
    { lineId: '2', sku: 'MAT-1', category: 'accessories', quantity: 2, amount: '1000.00' },
  ],
  total: '201000.00',
});
const revenueOf = async (id: string) => {
  await h.service.rescoreWorker.drain();
  const scores = await h.service.app.inject({ method: 'GET', url: `/v1/customers/${id}/scores`, headers: as(admin) });
  return scores.statusCode === 200 ? Number(scores.json().historical.revenue) : undefined;
};
const salesRows = (id: string) =>
  sql<{ external_id: string; type: string; amount: string }>`select external_id, type, amount::text from scoring.transaction where customer_id = ${id} and source_system = 'sales' order by external_id`
    .execute(h.db)
    .then((r) => r.rows);

describe('orders from the sales service', () => {
  it('books a placed order as sales (once, however often it is delivered) and rescores the customer', async () => {
    const id = randomUUID();
    await h.publishCustomerEvent('created', { customer: snapshot(id) });
    await eventually('the projection', async () => ((await sql`select 1 from scoring.customer where id = ${id}`.execute(h.db)).rows.length ? true : undefined));
    const order = placed(id);
    await h.publishEvent('/crm/sales', SalesDealEvents.orderPlaced, order);
    // The same order again under another event id (a producer retry): the external ids make it a duplicate.
    await h.publishEvent('/crm/sales', SalesDealEvents.orderPlaced, order);
    await eventually('the order booked', async () => ((await salesRows(id)).length === 2 ? true : undefined));
    expect(await salesRows(id)).toEqual([
      { external_id: `order:${order.orderId}:1`, type: 'sale', amount: '200000.00' },
      { external_id: `order:${order.orderId}:2`, type: 'sale', amount: '1000.00' },
    ]);
    expect(await eventually('the new revenue', async () => ((await revenueOf(id)) === 201_000 ? 201_000 : undefined))).toBe(201_000);

    // A return of one line is booked as a return in the period it happened and lowers the revenue.
    const returnId = randomUUID();
    await h.publishEvent('/crm/sales', SalesDealEvents.orderReturned, {
      orderId: order.orderId, returnId, customerId: id, dealerId: null, returnedAt: new Date().toISOString(), currency: 'CNY',
      lines: [{ lineId: '2', sku: 'MAT-1', category: 'accessories', quantity: 2, amount: '1000.00' }],
    });
    await eventually('the return booked', async () => ((await salesRows(id)).some((row) => row.type === 'return') ? true : undefined));
    expect(await eventually('the revenue after the return', async () => ((await revenueOf(id)) === 200_000 ? 200_000 : undefined))).toBe(200_000);
  });

  it('books a cancellation as the return of every line the order booked', async () => {
    const id = randomUUID();
    await h.publishCustomerEvent('created', { customer: snapshot(id) });
    const order = placed(id);
    await h.publishEvent('/crm/sales', SalesDealEvents.orderPlaced, order);
    await eventually('the order booked', async () => ((await salesRows(id)).length === 2 ? true : undefined));
    await h.publishEvent('/crm/sales', SalesDealEvents.orderCancelled, { orderId: order.orderId, customerId: id, dealerId: null, cancelledAt: new Date().toISOString(), reason: 'changed mind' });
    await eventually('the cancellation booked', async () => ((await salesRows(id)).length === 4 ? true : undefined));
    expect((await salesRows(id)).map((row) => [row.external_id, row.type])).toEqual([
      [`cancel:${order.orderId}:1`, 'return'],
      [`cancel:${order.orderId}:2`, 'return'],
      [`order:${order.orderId}:1`, 'sale'],
      [`order:${order.orderId}:2`, 'sale'],
    ]);
    expect(await eventually('no revenue left', async () => ((await revenueOf(id)) === 0 ? 0 : undefined))).toBe(0);
  });

  it('dead-letters an order in a currency without an exchange rate, booking none of its lines', async () => {
    const id = randomUUID();
    await h.publishCustomerEvent('created', { customer: snapshot(id) });
    const order = { ...placed(id), currency: 'XAU' };
    await h.publishEvent('/crm/sales', SalesDealEvents.orderPlaced, order);
    await eventually('the dead letter', async () =>
      ((await sql`select 1 from scoring.dead_letter where message_value like ${`%${order.orderId}%`} and error like '%no exchange rate for XAU%'`.execute(h.db)).rows.length ? true : undefined), 60_000);
    expect(await salesRows(id)).toEqual([]);
  });

  it('announces every exchange rate it is given, for the other services to convert with', async () => {
    const res = await h.service.app.inject({ method: 'PUT', url: '/v1/exchange-rates/EUR', headers: as(admin), payload: { rate: '7.8123' } });
    expect(res.statusCode).toBeLessThan(300);
    const event = await eventually('the rate event', async () => h.scoringEvents.find((e) => e.type === ScoringEvents.exchangeRateSet.type && (e.data as { currency: string }).currency === 'EUR'));
    expect(event.data).toEqual({ currency: 'EUR', rate: '7.8123', baseCurrency: 'CNY', version: res.json().version, setAt: res.json().updatedAt });
  });
});
