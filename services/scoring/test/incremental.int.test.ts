import { randomUUID } from 'node:crypto';
import { eventually } from '@crm/testkit';
import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { admin, as, batchJob, snapshot, startScoring, type ScoringHarness } from './harness';

/** What the scores, tiers and segments of a customer look like right after an ingest, without a run. */
let h: ScoringHarness;
const inject = (options: InjectOptions) => h.service.app.inject(options);
beforeAll(async () => {
  h = await startScoring();
});
afterAll(async () => {
  await h?.close();
});

it('rescores, re-tiers and re-segments the customers an ingest touched, and follows customer changes', async () => {
  const id = randomUUID();
  await h.publishCustomerEvent('created', { customer: snapshot(id, { city: 'Wuhan', externalIds: [{ system: 'erp', id: 'INC-1' }] }) });
  await eventually('the customer in the projection', async () => ((await sql`select 1 from scoring.customer where id = ${id}`.execute(h.db)).rows.length ? true : undefined));
  const segment = await inject({
    method: 'POST',
    url: '/v1/segments',
    headers: as(admin),
    payload: { name: 'recent car buyers in Wuhan', rule: { all: [{ field: 'city', op: 'eq', value: 'Wuhan' }, { bought: { category: 'cars', withinDays: 30 } }] } },
  });
  expect(segment.statusCode).toBe(201);
  const members = async () => (await inject({ method: 'GET', url: `/v1/segments/${segment.json().id}/members`, headers: as(admin) })).json().items.map((m: { customerId: string }) => m.customerId);
  expect(await members()).toEqual([]);

  const sale = {
    sourceSystem: 'erp',
    externalId: 'INC-SALE-1',
    customer: { id },
    occurredAt: new Date(Date.now() - 86_400_000).toISOString(),
    type: 'sale',
    amount: { amount: '600000.00', currency: 'CNY' },
    quantity: 1,
    category: 'cars',
  };
  const ingested = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items: [sale] } });
  expect(ingested.json().results[0].status).toBe('inserted');

  // No run was started: the ingest itself brought scores, tier and membership up to date.
  const scores = (await inject({ method: 'GET', url: `/v1/customers/${id}/scores`, headers: as(admin) })).json();
  expect(scores).toEqual(expect.objectContaining({ tier: 'VIP' }));
  expect(await members()).toEqual([id]);

  // A customer change that breaks the rule takes the customer out of the segment.
  await h.publishCustomerEvent('updated', { customer: snapshot(id, { city: 'Shanghai', externalIds: [{ system: 'erp', id: 'INC-1' }] }), changedFields: ['addresses'] });
  await eventually('the customer to leave the segment', async () => ((await members()).length === 0 ? true : undefined));
});
