import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'light-my-request';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { admin, as, batchJob, dealerPrincipal, snapshot, startScoring, type ScoringHarness } from './harness';

let h: ScoringHarness;
const inject = (options: InjectOptions) => h.service.app.inject(options);
const dealerA = randomUUID();
const dealerB = randomUUID();

/** Customers C-0…C-6: the even ones are dealer A's, the odd ones dealer B's. */
const customerIds = Array.from({ length: 7 }, () => randomUUID());
const customerDealer = (k: number) => (k % 2 === 0 ? dealerA : dealerB);
/** A seeded spread of sales and returns over two dealers, three categories and two months. */
const sales = Array.from({ length: 60 }, (_, i) => ({
  sourceSystem: 'erp',
  externalId: `R-${i}`,
  customer: { externalId: { system: 'erp', id: `C-${i % 7}` } },
  occurredAt: `2026-0${5 + (i % 2)}-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00Z`,
  type: i % 10 === 9 ? 'return' : 'sale',
  amount: { amount: `${(i * 37) % 500}.${String(i % 100).padStart(2, '0')}`, currency: 'CNY' },
  quantity: 1,
  category: ['cars', 'parts', 'service'][i % 3],
  channel: i % 4 === 0 ? 'web' : 'dealer',
  dealerId: i % 2 === 0 ? dealerA : dealerB,
}));

beforeAll(async () => {
  h = await startScoring();
  const res = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items: sales } });
  expect(res.json().summary.rejected).toBe(0);
  for (const [k, id] of customerIds.entries()) {
    await h.publishCustomerEvent('created', { customer: snapshot(id, { dealerId: customerDealer(k), externalIds: [{ system: 'erp', id: `C-${k}` }] }) });
  }
  await eventually('every sale linked to its customer', async () =>
    (await sql<{ n: string }>`select count(*) as n from scoring.transaction where customer_id is null`.execute(h.db)).rows[0]?.n === '0' ? true : undefined,
  );
});
afterAll(async () => {
  await h?.close();
});

/** The oracle: the same figures computed in TypeScript from what was posted (cents, to stay exact). */
function expected(keyOf: (s: (typeof sales)[number]) => string, filter: (s: (typeof sales)[number]) => boolean = () => true) {
  const groups = new Map<string, { net: number; sales: number; saleCents: number }>();
  for (const s of sales.filter(filter)) {
    const cents = Math.round(Number(s.amount.amount) * 100);
    const group = groups.get(keyOf(s)) ?? { net: 0, sales: 0, saleCents: 0 };
    group.net += s.type === 'sale' ? cents : -cents;
    if (s.type === 'sale') {
      group.sales += 1;
      group.saleCents += cents;
    }
    groups.set(keyOf(s), group);
  }
  return groups;
}

describe('sales report', () => {
  it('sums, counts and averages by category and month, equal to an independent computation', async () => {
    const res = await inject({ method: 'GET', url: '/v1/reports/sales?groupBy=category,month&from=2026-05-01&to=2026-07-01', headers: as(admin) });
    expect(res.statusCode).toBe(200);
    const oracle = expected((s) => `${s.category}|${s.occurredAt.slice(0, 7)}`);
    const rows = res.json().rows as { dimensions: Record<string, string>; revenue: string; sales: number; averageSale: string }[];
    expect(rows).toHaveLength(oracle.size);
    for (const row of rows) {
      const group = oracle.get(`${row.dimensions.category}|${row.dimensions.month}`);
      expect(group).toBeDefined();
      expect(Math.round(Number(row.revenue) * 100)).toBe(group!.net);
      expect(row.sales).toBe(group!.sales);
      expect(Number(row.averageSale)).toBeCloseTo(group!.saleCents / group!.sales / 100, 4);
    }
  });

  it("confines a dealer to its customers' sales (by their current assignment), whoever booked them", async () => {
    const res = await inject({ method: 'GET', url: '/v1/reports/sales?groupBy=dealer&from=2026-01-01&to=2027-01-01', headers: as(dealerPrincipal(dealerA)) });
    const rows = res.json().rows as { dimensions: Record<string, string>; revenue: string }[];
    const ofMyCustomers = (s: (typeof sales)[number]) => customerDealer(Number(s.customer.externalId.id.slice(2))) === dealerA;
    const oracle = expected((s) => s.dealerId, ofMyCustomers);
    expect(rows.map((r) => r.dimensions.dealer).sort()).toEqual([...oracle.keys()].sort());
    for (const row of rows) expect(Math.round(Number(row.revenue) * 100)).toBe(oracle.get(row.dimensions.dealer!)!.net);
  });

  it.each([
    ['groupBy=colour&from=2026-01-01&to=2026-02-01', 'query.groupBy'],
    ['groupBy=day,month&from=2026-01-01&to=2026-02-01', 'query.groupBy'],
    ['groupBy=dealer,dealer&from=2026-01-01&to=2026-02-01', 'query.groupBy'],
    ['groupBy=dealer&from=2026-02-01&to=2026-01-01', 'query.to'],
    ['groupBy=dealer&from=yesterday&to=2026-01-01', 'query.from'],
    ['from=2026-01-01&to=2026-02-01', 'query.groupBy'],
  ])('rejects %s naming %s', async (query, field) => {
    const res = await inject({ method: 'GET', url: `/v1/reports/sales?${query}`, headers: as(admin) });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field.split('.').slice(0, 2).join('.'))).toContain(field);
  });
});
