import { eventually } from '@crm/testkit';
import { ADMIN, callJson, startSuite, type RunningSuite } from './harness';

/**
 * Merged ids keep working end to end: customers merges, the merge travels over Kafka to scoring, and
 * sales posted by the merged-away id or its external id (before and after the merge) count for the survivor.
 */
let suite: RunningSuite;
let api: string;

beforeAll(async () => {
  suite = await startSuite('merged-ids-test');
  api = suite.api;
});
afterAll(() => suite?.close());

const call = (method: string, url: string, body?: unknown, redirect: 'manual' | 'follow' = 'manual') => callJson(api, method, url, ADMIN, body, redirect);

let saleNumber = 0;
const sell = async (customer: { id: string } | { externalId: { system: string; id: string } }, amount: string) => {
  saleNumber += 1;
  const sale = {
    sourceSystem: 'erp',
    externalId: `INV-MERGE-${saleNumber}`,
    customer,
    occurredAt: new Date(Date.now() - 86_400_000 * saleNumber).toISOString(),
    type: 'sale',
    amount: { amount, currency: 'CNY' },
    quantity: 1,
    category: 'parts',
  };
  const posted = await call('POST', '/v1/transactions/batch', { items: [sale] });
  expect(posted.status).toBe(200);
  return posted.body.results[0].status as string;
};

it('counts sales posted by a merged-away id or its external id, before and after the merge, for the survivor', async () => {
  const duplicate = await call('PUT', '/v1/customers/by-external-id/erp/MRG-OLD', { kind: 'person', givenName: 'Mei', familyName: 'Wang', emails: ['mei.wang@example.com'] });
  const survivor = await call('POST', '/v1/customers', { kind: 'person', givenName: 'Mei', familyName: 'Wang', emails: ['mei.wang@example.com'] });
  expect([duplicate.status, survivor.status]).toEqual([201, 201]);
  const [oldId, survivorId] = [duplicate.body.id as string, survivor.body.id as string];
  await eventually('scoring to know both customers', async () =>
    (await call('GET', `/v1/customers/${oldId}/scores`)).status === 200 && (await call('GET', `/v1/customers/${survivorId}/scores`)).status === 200 ? true : undefined,
  60_000);

  // Before the merge: a sale on the customer that is about to be merged away.
  expect(await sell({ id: oldId }, '100.00')).toBe('inserted');
  expect((await call('POST', `/v1/customers/${survivorId}/merge`, { duplicateId: oldId })).status).toBe(200);
  // Right after the merge, before or after scoring has the merge event: either way it ends on the survivor.
  expect(await sell({ id: oldId }, '200.00')).toBe('inserted');

  await eventually('scoring to know the merge', async () => ((await call('GET', `/v1/customers/${oldId}/scores`)).status === 308 ? true : undefined), 60_000);
  // After the merge: by the old id and by the old customer's external id.
  expect(await sell({ id: oldId }, '300.00')).toBe('inserted');
  expect(await sell({ externalId: { system: 'erp', id: 'MRG-OLD' } }, '400.00')).toBe('inserted');

  const moved = await call('GET', `/v1/customers/${oldId}/scores`);
  expect(moved.status).toBe(308);
  expect(moved.headers.get('location')).toBe(`/v1/customers/${survivorId}/scores`);
  const scores = await eventually('the survivor to be scored with all four sales', async () => {
    const read = await call('GET', `/v1/customers/${survivorId}/scores`);
    return read.body.historical.orderCount === 4 ? read.body : undefined;
  });
  expect(scores.historical.revenue).toBe('1000.0000');
  expect(scores.rfm.frequency).not.toBeNull();
  expect(scores.rfm.monetary).not.toBeNull();
  // A client following the redirect from the old id reads the same.
  expect((await call('GET', `/v1/customers/${oldId}/scores`, undefined, 'follow')).body).toEqual(scores);

  const transactions = await call('GET', `/v1/transactions?customerId=${survivorId}&limit=10`);
  expect(transactions.body.items.map((t: { externalId: string }) => t.externalId).sort()).toEqual(['INV-MERGE-1', 'INV-MERGE-2', 'INV-MERGE-3', 'INV-MERGE-4']);
  expect((await call('GET', `/v1/transactions?customerId=${oldId}&limit=10`)).body.items).toHaveLength(4);
});

it("brings a consent decision into scoring's projection (segments by consent follow it)", async () => {
  const customer = await call('POST', '/v1/customers', { kind: 'person', givenName: 'Consent', familyName: 'Flow' });
  expect(customer.status).toBe(201);
  const preview = async () => (await call('POST', '/v1/segments/preview', { rule: { field: 'consent.sms', op: 'eq', value: true } })).body as { sample: string[] };
  await eventually('scoring to know the customer', async () => ((await call('GET', `/v1/customers/${customer.body.id}/scores`)).status === 200 ? true : undefined), 60_000);
  expect((await preview()).sample).not.toContain(customer.body.id);
  expect((await call('PUT', `/v1/customers/${customer.body.id}/consents/sms`, { granted: true, source: 'hotline' })).status).toBe(200);
  await eventually('the consent in scoring', async () => ((await preview()).sample.includes(customer.body.id) ? true : undefined), 60_000);
});
