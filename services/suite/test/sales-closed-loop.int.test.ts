import { createCrmClient } from '@crm/client';
import { eventually } from '@crm/testkit';
import { ADMIN, callJson, startSuite, type RunningSuite } from './harness';

/**
 * The closed loop and the account portal through the gateway, as a frontend would call it (the generated
 * client): an organisation's buyer orders at its negotiated price, and scoring's figures move without a
 * batch job.
 */
let suite: RunningSuite;
beforeAll(async () => {
  suite = await startSuite('sales-closed-loop');
});
afterAll(() => suite?.close());

const admin = () => createCrmClient({ baseUrl: suite.api, token: 'crm-dev-admin-key' });

describe('an organisation customer ordering through its account portal', () => {
  it("issues account credentials only for an organisation, prices the buyer's order from its book, and moves its scores", async () => {
    const crm = admin();
    const org = (await crm.POST('/v1/customers', { body: { kind: 'organization', organizationName: 'Premier Fleet Ltd' } })).data!;
    const person = (await crm.POST('/v1/customers', { body: { kind: 'person', givenName: 'Not', familyName: 'AnOrg' } })).data!;

    // Account users belong to an existing organisation customer.
    const refused = await crm.POST('/v1/api-clients', { body: { name: 'wrong', principal: { kind: 'account', subject: 'x', customerId: person.id, role: 'buyer' } } });
    expect(refused.response.status).toBe(422);
    expect(refused.error?.type).toBe('urn:crm:problem:unknown-organization');
    const issued = await crm.POST('/v1/api-clients', { body: { name: 'Premier buyer', principal: { kind: 'account', subject: 'buyer-1', customerId: org.id, role: 'buyer' } } });
    expect(issued.response.status).toBe(201);
    const buyer = createCrmClient({ baseUrl: suite.api, token: issued.data!.apiKey });

    expect((await crm.POST('/v1/products', { body: { sku: 'FLEET-SUV', name: 'Fleet SUV', category: 'cars', listPrices: [{ amount: '250000.00', currency: 'CNY' }] } })).response.status).toBe(201);
    const book = await crm.POST('/v1/price-books', {
      body: { name: 'Premier Fleet 2026', kind: 'customer', customerId: org.id, currency: 'CNY', validFrom: '2026-01-01', validTo: '2027-12-31', entries: [{ sku: 'FLEET-SUV', breaks: [{ minQuantity: 1, unitPrice: '230000.00' }] }] },
    });
    // The sales service learns of the customer from crm.customers: a book for it is accepted once it has.
    expect([201, 422]).toContain(book.response.status);
    if (book.response.status === 422) {
      await eventually('sales to know the organisation', async () => {
        const retry = await crm.POST('/v1/price-books', {
          body: { name: 'Premier Fleet 2026', kind: 'customer', customerId: org.id, currency: 'CNY', validFrom: '2026-01-01', validTo: '2027-12-31', entries: [{ sku: 'FLEET-SUV', breaks: [{ minQuantity: 1, unitPrice: '230000.00' }] }] },
        });
        return retry.response.status === 201 ? true : undefined;
      });
    }

    const price = await buyer.GET('/v1/prices', { params: { query: { sku: 'FLEET-SUV', currency: 'CNY', quantity: 2 } } });
    expect(price.data).toMatchObject({ unitPrice: '230000.00', priceBookName: 'Premier Fleet 2026' });

    const placed = await buyer.POST('/v1/orders', { body: { customerId: org.id, currency: 'CNY', lines: [{ sku: 'FLEET-SUV', quantity: 2, discountPercent: 0 }] }, params: { header: { 'idempotency-key': 'premier-1' } } });
    expect(placed.response.status).toBe(201);
    expect(placed.data).toMatchObject({ customerId: org.id, total: '460000.00', status: 'placed' });

    // The account user sees its own order and nothing of the customers service.
    expect((await buyer.GET('/v1/orders/{id}', { params: { path: { id: placed.data!.id } } })).data?.id).toBe(placed.data!.id);
    expect((await callJson(suite.api, 'GET', `/v1/customers/${org.id}`, { authorization: `Bearer ${issued.data!.apiKey}` })).status).toBe(403);

    // No batch job: the order event reaches scoring, which books it and rescores the organisation.
    const revenue = await eventually(
      "the order in the organisation's scores",
      async () => {
        const scores = await crm.GET('/v1/customers/{id}/scores', { params: { path: { id: org.id } } });
        return scores.data && Number(scores.data.historical.revenue) === 460_000 ? scores.data.historical.revenue : undefined;
      },
      30_000,
    );
    expect(Number(revenue)).toBe(460_000);
    const booked = await callJson(suite.api, 'GET', `/v1/transactions?customerId=${org.id}`, ADMIN);
    expect(booked.body.items).toEqual([expect.objectContaining({ sourceSystem: 'sales', externalId: `order:${placed.data!.id}:1` })]);
    // …and the order is on the organisation's lifetime timeline in the customers service.
    const entry = await eventually('the order on the timeline', async () => {
      const timeline = await crm.GET('/v1/customers/{id}/timeline', { params: { path: { id: org.id } } });
      return timeline.data?.items.find((item) => item.type === 'crm.sales.order.placed.v1');
    });
    expect(entry).toMatchObject({ source: '/crm/sales', data: { orderId: placed.data!.id, total: '460000.00' } });
  });
});
