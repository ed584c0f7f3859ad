import { randomUUID } from 'node:crypto';
import { CustomerEvents, SalesDealEvents, type Principal } from '@crm/domain';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { accountPrincipal, admin, as, dealerPrincipal, rep, snapshot, startSales, type SalesHarness } from './harness';

/** Products, price books, prices and orders on the real PostgreSQL and Kafka, with every caller's scope. */
let h: SalesHarness;
const inject = (method: 'GET' | 'POST' | 'PUT', url: string, principal: Principal, payload?: object, headers: Record<string, string> = {}) =>
  h.service.app.inject({ method, url, headers: as(principal, headers), ...(payload ? { payload } : {}) });
const count = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`sales.${table}`)}`.execute(h.db)).rows[0]!.n);

const dealerA = randomUUID();
const dealerB = randomUUID();
const org = randomUUID();
const otherOrg = randomUUID();
const personA = randomUUID();
const tag = randomUUID().slice(0, 6);
const SUV = `SUV-${tag}`;
const MAT = `MAT-${tag}`;
const OLD = `OLD-${tag}`;

beforeAll(async () => {
  h = await startSales();
  await h.knownCustomer(snapshot(org, { kind: 'organization', dealerId: dealerA }));
  await h.knownCustomer(snapshot(otherOrg, { kind: 'organization', dealerId: dealerB }));
  await h.knownCustomer(snapshot(personA, { dealerId: dealerA }));
  for (const product of [
    { sku: SUV, name: 'SUV', category: 'cars', listPrices: [{ amount: '220000.00', currency: 'CNY' }], unitCost: { amount: '150000.00', currency: 'CNY' } },
    { sku: MAT, name: 'Floor mats', category: 'accessories', listPrices: [{ amount: '499.90', currency: 'CNY' }, { amount: '9000', currency: 'JPY' }] },
    { sku: OLD, name: 'Discontinued', listPrices: [{ amount: '10.00', currency: 'CNY' }], active: false },
  ]) {
    expect((await inject('POST', '/v1/products', admin, product)).statusCode).toBe(201);
  }
  const standard = await inject('POST', '/v1/price-books', admin, {
    name: `Standard ${tag}`, kind: 'standard', currency: 'CNY', validFrom: '2026-01-01', validTo: null,
    entries: [{ sku: SUV, breaks: [{ minQuantity: 1, unitPrice: '210000.00' }, { minQuantity: 5, unitPrice: '200000.00' }] }],
  });
  expect(standard.statusCode).toBe(201);
  const negotiated = await inject('POST', '/v1/price-books', admin, {
    name: `Fleet ${tag}`, kind: 'customer', customerId: org, currency: 'CNY', validFrom: '2026-01-01', validTo: '2027-12-31',
    entries: [{ sku: SUV, breaks: [{ minQuantity: 1, unitPrice: '190000.00' }] }],
  });
  expect(negotiated.statusCode).toBe(201);
});
afterAll(() => h.close());

describe('products and price books', () => {
  it('refuses a taken sku, negative prices and more decimals than the currency allows, writing nothing', async () => {
    const before = await count('product');
    expect((await inject('POST', '/v1/products', admin, { sku: SUV, name: 'again' })).statusCode).toBe(409);
    const negative = await inject('POST', '/v1/products', admin, { sku: `N-${tag}`, name: 'n', listPrices: [{ amount: '-1.00', currency: 'CNY' }] });
    expect(negative.statusCode).toBe(400);
    const yen = await inject('POST', '/v1/products', admin, { sku: `Y-${tag}`, name: 'y', listPrices: [{ amount: '12.5', currency: 'JPY' }] });
    expect(yen.statusCode).toBe(400);
    expect(yen.json().detail).toContain('JPY allows 0 decimal places');
    expect((await inject('POST', '/v1/products', rep('li'), { sku: `R-${tag}`, name: 'r' })).statusCode).toBe(403);
    expect(await count('product')).toBe(before);
  });

  it('refuses a negotiated book overlapping another for the same customer, naming it, and books for non-organisations', async () => {
    const before = await count('price_book');
    const overlap = await inject('POST', '/v1/price-books', admin, { name: 'Fleet 2', kind: 'customer', customerId: org, currency: 'CNY', validFrom: '2027-06-01', entries: [] });
    expect(overlap.statusCode).toBe(422);
    expect(overlap.json().detail).toContain(`Fleet ${tag}`);
    const person = await inject('POST', '/v1/price-books', admin, { name: 'P', kind: 'customer', customerId: personA, currency: 'CNY', validFrom: '2026-01-01', entries: [] });
    expect(person.statusCode).toBe(422);
    const unknownSku = await inject('POST', '/v1/price-books', admin, { name: 'U', kind: 'dealer', dealerId: dealerB, currency: 'CNY', validFrom: '2026-01-01', entries: [{ sku: 'NOPE', breaks: [{ unitPrice: '1' }] }] });
    expect(unknownSku.statusCode).toBe(422);
    expect(await count('price_book')).toBe(before);
    // Another currency, or after the first ends, is fine.
    expect((await inject('POST', '/v1/price-books', admin, { name: 'Fleet USD', kind: 'customer', customerId: org, currency: 'USD', validFrom: '2026-01-01', entries: [] })).statusCode).toBe(201);
  });

  it('shows dealers and account users only active products and their own books', async () => {
    const skus = async (principal: Principal) => (await inject('GET', '/v1/products?limit=200', principal)).json().items.map((p: { sku: string }) => p.sku);
    expect(await skus(admin)).toEqual(expect.arrayContaining([SUV, MAT, OLD]));
    expect(await skus(dealerPrincipal(dealerA))).not.toContain(OLD);
    const books = async (principal: Principal) => (await inject('GET', '/v1/price-books?limit=200', principal)).json().items.map((b: { name: string }) => b.name);
    expect(await books(accountPrincipal(org, 'viewer'))).toEqual(expect.arrayContaining([`Fleet ${tag}`]));
    expect(await books(accountPrincipal(otherOrg, 'viewer'))).toEqual([]);
    expect(await books(dealerPrincipal(dealerA))).toEqual([]);
  });
});

describe('GET /v1/prices', () => {
  const price = (principal: Principal, query: string) => inject('GET', `/v1/prices?currency=CNY&date=2026-12-05&${query}`, principal);

  it('answers the price that applies and why: negotiated, then standard with quantity breaks, then list', async () => {
    expect((await price(admin, `sku=${SUV}&customerId=${org}`)).json()).toMatchObject({ unitPrice: '190000.00', listPrice: '220000.00', rule: expect.stringContaining(`Fleet ${tag}`) });
    expect((await price(admin, `sku=${SUV}&customerId=${personA}`)).json()).toMatchObject({ unitPrice: '210000.00', rule: expect.stringContaining('standard') });
    expect((await price(admin, `sku=${SUV}&quantity=6`)).json()).toMatchObject({ unitPrice: '200000.00', rule: expect.stringContaining('quantity break ≥ 5') });
    expect((await price(admin, `sku=${MAT}`)).json()).toMatchObject({ unitPrice: '499.90', priceBookId: null, rule: expect.stringContaining('list price') });
    // After the negotiated book ends, the standard price applies again.
    expect((await inject('GET', `/v1/prices?currency=CNY&date=2028-01-01&sku=${SUV}&customerId=${org}`, admin)).json()).toMatchObject({ unitPrice: '210000.00' });
    expect((await price(admin, `sku=${SUV}&currency=EUR`)).statusCode).toBe(400);
    expect((await inject('GET', `/v1/prices?currency=EUR&sku=${SUV}`, admin)).statusCode).toBe(422);
  });

  it("gives an account user its organisation's price whatever it asks, and a dealer nothing of another dealer's customer", async () => {
    expect((await price(accountPrincipal(org, 'buyer'), `sku=${SUV}&customerId=${otherOrg}`)).json()).toMatchObject({ unitPrice: '190000.00' });
    expect((await price(accountPrincipal(otherOrg, 'buyer'), `sku=${SUV}&customerId=${org}`)).json()).toMatchObject({ unitPrice: '210000.00' });
    const foreign = await price(dealerPrincipal(dealerB), `sku=${SUV}&customerId=${org}`);
    const absent = await price(dealerPrincipal(dealerB), `sku=${SUV}&customerId=${randomUUID()}`);
    expect([foreign.statusCode, absent.statusCode]).toEqual([404, 404]);
    expect(foreign.json().detail.replace(org, 'X')).toBe(absent.json().detail.replace(/[0-9a-f-]{36}/, 'X'));
    expect((await price(dealerPrincipal(dealerB), `sku=${OLD}`)).statusCode).toBe(404);
  });
});

describe('orders', () => {
  const order = (customerId: string, lines: object[] = [{ sku: SUV, quantity: 2 }, { sku: MAT, quantity: 3, discountPercent: 10 }]) => ({ customerId, currency: 'CNY', lines });

  it('places an order priced from the books, in exact decimals, once per Idempotency-Key, and announces it', async () => {
    const first = await inject('POST', '/v1/orders', rep('li'), order(org), { 'idempotency-key': `o-${tag}` });
    expect(first.statusCode).toBe(201);
    const placed = first.json();
    expect(placed).toMatchObject({ customerId: org, dealerId: dealerA, ownerSubject: 'li', status: 'placed', total: '381349.73' });
    expect(placed.lines).toEqual([
      expect.objectContaining({ lineNo: 1, sku: SUV, unitPrice: '190000.00', amount: '380000.00', priceRule: expect.stringContaining(`Fleet ${tag}`) }),
      // 3 × 499.90 = 1,499.70 less 10 % = 1,349.73
      expect.objectContaining({ lineNo: 2, sku: MAT, unitPrice: '499.90', amount: '1349.73' }),
    ]);
    const again = await inject('POST', '/v1/orders', rep('li'), order(org), { 'idempotency-key': `o-${tag}` });
    expect(again.json().id).toBe(placed.id);
    const event = await eventually('the order event', async () => h.salesEvents.find((e) => e.type === SalesDealEvents.orderPlaced.type && (e.data as { orderId: string }).orderId === placed.id));
    expect(event.data).toMatchObject({ customerId: org, dealerId: dealerA, currency: 'CNY', total: '381349.73', lines: [{ lineId: '1', sku: SUV, category: 'cars', quantity: 2, amount: '380000.00' }, { lineId: '2', sku: MAT, quantity: 3, amount: '1349.73' }] });
    expect(h.salesEvents.filter((e) => (e.data as { orderId?: string }).orderId === placed.id)).toHaveLength(1);
  });

  it('refuses inactive or unknown products and currencies nothing prices, writing nothing', async () => {
    const before = await count('sales_order');
    for (const lines of [[{ sku: OLD, quantity: 1 }], [{ sku: 'NOPE', quantity: 1 }]]) {
      const res = await inject('POST', '/v1/orders', rep('li'), order(org, lines));
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await inject('POST', '/v1/orders', rep('li'), { ...order(org), currency: 'EUR' })).statusCode).toBe(422);
    expect((await inject('POST', '/v1/orders', rep('li'), order(org, [{ sku: SUV, quantity: -1 }]))).statusCode).toBe(400);
    expect((await inject('POST', '/v1/orders', rep('li'), order(randomUUID()))).statusCode).toBe(404);
    expect(await count('sales_order')).toBe(before);
  });

  it("lets an organisation's buyer order for it alone; viewers read, nobody sees another's orders", async () => {
    const buyer = accountPrincipal(org, 'buyer');
    const own = await inject('POST', '/v1/orders', buyer, order(org, [{ sku: MAT, quantity: 1 }]));
    expect(own.statusCode).toBe(201);
    expect(own.json()).toMatchObject({ dealerId: dealerA, ownerSubject: null });
    expect((await inject('POST', '/v1/orders', buyer, order(otherOrg))).statusCode).toBe(404);
    expect((await inject('POST', '/v1/orders', accountPrincipal(org, 'viewer'), order(org))).statusCode).toBe(403);
    expect((await inject('GET', `/v1/orders/${own.json().id}`, accountPrincipal(org, 'viewer'))).statusCode).toBe(200);
    for (const outsider of [accountPrincipal(otherOrg, 'viewer'), dealerPrincipal(dealerB), rep('stranger')]) {
      expect((await inject('GET', `/v1/orders/${own.json().id}`, outsider)).statusCode).toBe(404);
      expect((await inject('GET', '/v1/orders?limit=200', outsider)).json().items.map((o: { id: string }) => o.id)).not.toContain(own.json().id);
      expect((await inject('POST', `/v1/orders/${own.json().id}/cancel`, outsider, { reason: 'x' })).statusCode).toBe(outsider.kind === 'account' ? 403 : 404);
    }
    // A dealer sells only to its own customers, and as itself.
    expect((await inject('POST', '/v1/orders', dealerPrincipal(dealerB), order(org))).statusCode).toBe(404);
    expect((await inject('POST', '/v1/orders', dealerPrincipal(dealerA), { ...order(personA), dealerId: dealerB })).statusCode).toBe(422);
    expect((await inject('POST', '/v1/orders', dealerPrincipal(dealerA), order(personA, [{ sku: MAT, quantity: 1 }]))).json()).toMatchObject({ dealerId: dealerA });
  });

  it('returns quantities at their share of the net amount, never more than remains, and cancels only untouched orders', async () => {
    const placed = (await inject('POST', '/v1/orders', rep('li'), order(org))).json();
    const partial = await inject('POST', `/v1/orders/${placed.id}/returns`, rep('li'), { reason: 'damaged', lines: [{ lineNo: 2, quantity: 1 }] });
    expect(partial.statusCode).toBe(201);
    expect(partial.json().returns).toEqual([expect.objectContaining({ amount: '449.91', lines: [{ lineNo: 2, quantity: 1, amount: '449.91' }] })]);
    expect(partial.json().lines[1]).toMatchObject({ returnedQuantity: 1 });
    const tooMany = await inject('POST', `/v1/orders/${placed.id}/returns`, rep('li'), { lines: [{ lineNo: 2, quantity: 3 }] });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json().detail).toContain('only 2 of line 2 remain');
    expect((await inject('POST', `/v1/orders/${placed.id}/cancel`, rep('li'), { reason: 'x' })).statusCode).toBe(409);
    await eventually('the return event', async () => h.salesEvents.find((e) => e.type === SalesDealEvents.orderReturned.type && (e.data as { orderId: string }).orderId === placed.id));

    const clean = (await inject('POST', '/v1/orders', rep('li'), order(org))).json();
    const cancelled = await inject('POST', `/v1/orders/${clean.id}/cancel`, rep('li'), { reason: 'customer changed their mind' });
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', cancelReason: 'customer changed their mind' });
    expect((await inject('POST', `/v1/orders/${clean.id}/cancel`, rep('li'), { reason: 'again' })).statusCode).toBe(409);
    const event = await eventually('the cancellation event', async () => h.salesEvents.find((e) => e.type === SalesDealEvents.orderCancelled.type && (e.data as { orderId: string }).orderId === clean.id));
    // Free text stays out of events (it may name people).
    expect(JSON.stringify(event)).not.toContain('changed their mind');
  });

  it("moves a merged customer's orders to the survivor and keeps an erased customer's orders only as anonymous figures", async () => {
    const duplicate = randomUUID();
    await h.knownCustomer(snapshot(duplicate, { dealerId: dealerA }));
    const placed = (await inject('POST', '/v1/orders', rep('li'), order(duplicate, [{ sku: MAT, quantity: 1 }]))).json();
    await h.publish(CustomerEvents.merged, { survivorId: personA, mergedId: duplicate, survivor: snapshot(personA, { dealerId: dealerA, version: 5 }) });
    await eventually('the move', async () => ((await inject('GET', `/v1/orders/${placed.id}`, admin)).json().customerId === personA ? true : undefined));
    const exported = (await inject('GET', `/v1/customers/${duplicate}/personal-data`, admin)).json();
    expect(exported.customerId).toBe(personA);
    expect(exported.sections.orders.map((o: { id: string }) => o.id)).toContain(placed.id);

    await h.publish(CustomerEvents.erased, { customerId: personA, mergedIds: [duplicate] });
    await eventually('the unlink', async () => ((await inject('GET', `/v1/orders/${placed.id}`, admin)).json().customerId === null ? true : undefined));
    expect((await sql`select 1 from sales.sales_order where customer_id in (${personA}, ${duplicate})`.execute(h.db)).rows).toEqual([]);
  });
});
