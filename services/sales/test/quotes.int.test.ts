import { randomUUID } from 'node:crypto';
import { CustomerEvents, SalesDealEvents, type Principal } from '@crm/domain';
import { systemRuntime, type Runtime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { accountPrincipal, admin, as, dealerPrincipal, manager, rep, snapshot, startSales, type SalesHarness } from './harness';

/** Quotes, approval rules and chains, the organisation's own approver, the customer's answer and the order, with every caller's scope. */
let h: SalesHarness;
// Business time moves by hand: noon in Shanghai on 10 December 2026.
let clock = Date.parse('2026-12-10T04:00:00Z');
const runtime: Runtime = { now: () => new Date(clock), newId: () => systemRuntime.newId() };
const inject = (method: 'GET' | 'POST' | 'PUT', url: string, principal: Principal, payload?: object, headers: Record<string, string> = {}) =>
  h.service.app.inject({ method, url, headers: as(principal, headers), ...(payload ? { payload } : {}) });
const count = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`sales.${table}`)}`.execute(h.db)).rows[0]!.n);
const eventOf = (type: string, quoteId: string) => eventually(`${type} of ${quoteId}`, async () => h.salesEvents.find((e) => e.type === type && (e.data as { quoteId?: string }).quoteId === quoteId));

const dealerA = randomUUID();
const dealerB = randomUUID();
const org = randomUUID();
const otherOrg = randomUUID();
const tag = randomUUID().slice(0, 6);
const SUV = `SUV-${tag}`;
const MAT = `MAT-${tag}`;
const OLD = `OLD-${tag}`;
const li = rep(`li-${tag}`);
const wang = manager(`wang-${tag}`);
const finance: Principal = { kind: 'staff', subject: `fin-${tag}`, roles: ['finance'] };
const buyer = accountPrincipal(org, 'buyer');
const approver = accountPrincipal(org, 'approver');
const mat = { sku: MAT, name: 'Floor mats', category: 'accessories', listPrices: [{ amount: '499.90', currency: 'CNY' }] };
let matId: string;

const draft = (lines: object[], extra: object = {}) => ({ customerId: org, currency: 'CNY', validUntil: '2026-12-31', taxPercent: 13, lines, ...extra });
const create = async (principal: Principal, body: object) => {
  const res = await inject('POST', '/v1/quotes', principal, body);
  expect(res.statusCode).toBe(201);
  return res.json();
};
const step = async (principal: Principal, id: string, action: string, body?: object) => inject('POST', `/v1/quotes/${id}/${action}`, principal, body ?? {});

beforeAll(async () => {
  h = await startSales({ runtime });
  await h.knownCustomer(snapshot(org, { kind: 'organization', dealerId: dealerA }));
  await h.knownCustomer(snapshot(otherOrg, { kind: 'organization', dealerId: dealerB }));
  for (const product of [
    { sku: SUV, name: 'SUV', category: 'cars', listPrices: [{ amount: '220000.00', currency: 'CNY' }], unitCost: { amount: '150000.00', currency: 'CNY' } },
    mat,
    { sku: OLD, name: 'Discontinued', listPrices: [{ amount: '10.00', currency: 'CNY' }], active: false },
  ]) {
    const created = await inject('POST', '/v1/products', admin, product);
    expect(created.statusCode).toBe(201);
    if (product.sku === MAT) matId = created.json().id;
  }
  const fleet = await inject('POST', '/v1/price-books', admin, {
    name: `Fleet ${tag}`, kind: 'customer', customerId: org, currency: 'CNY', validFrom: '2026-01-01', validTo: null,
    entries: [{ sku: SUV, breaks: [{ minQuantity: 1, unitPrice: '190000.00' }] }],
  });
  expect(fleet.statusCode).toBe(201);
  const team = await inject('POST', '/v1/sales-teams', admin, { name: `East ${tag}`, members: [{ subject: li.subject, role: 'rep' }, { subject: wang.subject, role: 'manager' }] });
  expect(team.statusCode).toBe(201);
  const rule = await inject('POST', '/v1/quote-approval-rules', admin, { name: `Deep discount ${tag}`, position: 1, conditions: { discountPercentAbove: 15 }, chain: ['sales-manager', 'finance'] });
  expect(rule.statusCode).toBe(201);
  expect((await inject('PUT', `/v1/customers/${org}/sales/approval-policy`, admin, { accountApprovalAbove: { amount: '100000.00', currency: 'CNY' } })).statusCode).toBe(200);
});
afterAll(() => h.close());

describe('quotes', () => {
  it('prices a draft from the books with line and header discounts and tax in exact decimals, and announces it', async () => {
    const quote = await create(li, draft([{ sku: SUV, quantity: 2, discountPercent: 5 }, { sku: MAT, quantity: 3, discountPercent: 10 }], { headerDiscountPercent: 2 }));
    expect(quote).toMatchObject({ status: 'draft', version: 1, customerId: org, dealerId: dealerA, ownerSubject: li.subject, validUntil: '2026-12-31', taxPercent: 13, headerDiscountPercent: 2 });
    // 2 × 190,000 − 5 % = 361,000.00; 3 × 499.90 − 10 % = 1,349.73; header 2 % of 362,349.73 = 7,246.99 (7,246.9946); tax 13 % of 355,102.74 = 46,163.36.
    expect(quote.lines).toEqual([
      expect.objectContaining({ lineNo: 1, sku: SUV, unitPrice: '190000.00', listPrice: '220000.00', amount: '361000.00', priceRule: expect.stringContaining(`Fleet ${tag}`) }),
      expect.objectContaining({ lineNo: 2, sku: MAT, unitPrice: '499.90', amount: '1349.73' }),
    ]);
    expect(quote).toMatchObject({ subtotal: '362349.73', discount: '7246.99', tax: '46163.36', total: '401266.10' });
    const event = await eventOf(SalesDealEvents.quoteCreated.type, quote.id);
    expect(event.data).toMatchObject({ version: 1, status: 'draft', total: '401266.10', customerId: org });
  });

  it('refuses inactive products, past validity, too many decimals and unknown customers, writing nothing', async () => {
    const before = await count('quote');
    const inactive = await inject('POST', '/v1/quotes', li, draft([{ sku: OLD, quantity: 1 }]));
    expect(inactive.statusCode).toBe(422);
    expect(inactive.json().detail).toContain(`product ${OLD} is not active`);
    const past = await inject('POST', '/v1/quotes', li, draft([{ sku: MAT, quantity: 1 }], { validUntil: '2026-12-09' }));
    expect(past.statusCode).toBe(422);
    expect(past.json().detail).toContain('in the past');
    expect((await inject('POST', '/v1/quotes', li, draft([{ sku: MAT, quantity: 1, discountPercent: 1.234 }]))).statusCode).toBe(400);
    expect((await inject('POST', '/v1/quotes', li, draft([{ sku: MAT, quantity: 1 }], { customerId: randomUUID() }))).statusCode).toBe(404);
    expect((await inject('POST', '/v1/quotes', accountPrincipal(org, 'viewer'), draft([{ sku: MAT, quantity: 1 }]))).statusCode).toBe(403);
    expect(await count('quote')).toBe(before);
    expect(await count('quote_version')).toBe(before);

    const rules = await count('quote_approval_rule');
    const yuan = await inject('POST', '/v1/quote-approval-rules', admin, { name: 'x', position: 9, conditions: { totalAbove: [{ amount: '1000.005', currency: 'CNY' }] }, chain: ['finance'] });
    expect(yuan.statusCode).toBe(400);
    expect(yuan.json().detail).toContain('CNY allows 2 decimal places');
    expect((await inject('POST', '/v1/quote-approval-rules', admin, { name: 'x', position: 9, conditions: {}, chain: ['finance'] })).statusCode).toBe(400);
    expect((await inject('POST', '/v1/quote-approval-rules', li, { name: 'x', position: 9, conditions: { belowCost: true }, chain: ['finance'] })).statusCode).toBe(403);
    expect(await count('quote_approval_rule')).toBe(rules);
    const policy = await inject('PUT', `/v1/customers/${org}/sales/approval-policy`, admin, { accountApprovalAbove: { amount: '1.999', currency: 'CNY' } });
    expect(policy.statusCode).toBe(400);
    expect((await inject('GET', `/v1/customers/${org}/sales/approval-policy`, buyer)).json()).toEqual({ customerId: org, accountApprovalAbove: { amount: '100000.00', currency: 'CNY' } });
  });

  it('runs the approval chain: manager then finance, wrong roles and the submitter refused, every decision recorded', async () => {
    const quote = await create(li, draft([{ sku: SUV, quantity: 1, discountPercent: 20 }]));
    const submitted = await step(li, quote.id, 'submit');
    expect(submitted.statusCode).toBe(200);
    expect(submitted.json()).toMatchObject({ status: 'pending_approval', approval: { chain: ['sales-manager', 'finance'], currentStep: 1, submittedBy: `staff:${li.subject}` } });
    expect(submitted.json().approval.reason).toContain(`rule "Deep discount ${tag}" (position 1): discount 20% on line 1`);
    expect((await step(li, quote.id, 'submit')).statusCode).toBe(409);

    // The rep holds no approving role; finance is not the first step.
    expect((await step(li, quote.id, 'approvals', { decision: 'approve' })).statusCode).toBe(403);
    const early = await step(finance, quote.id, 'approvals', { decision: 'approve' });
    expect(early.statusCode).toBe(403);
    expect(early.json().detail).toContain('awaits sales-manager');
    expect(await count('quote_approval')).toBe(0);

    const first = await step(wang, quote.id, 'approvals', { decision: 'approve', comment: 'fleet deal' });
    expect(first.json()).toMatchObject({ status: 'pending_approval', approval: { currentStep: 2 } });
    const second = await step(finance, quote.id, 'approvals', { decision: 'approve' });
    expect(second.json()).toMatchObject({ status: 'approved', approval: { currentStep: null } });
    expect(second.json().approval.decisions).toEqual([
      expect.objectContaining({ step: 1, role: 'sales-manager', decision: 'approve', comment: 'fleet deal', decidedBy: `staff:${wang.subject}`, version: 1 }),
      expect.objectContaining({ step: 2, role: 'finance', decision: 'approve', comment: null, decidedBy: `staff:${finance.subject}` }),
    ]);
    expect((await step(finance, quote.id, 'approvals', { decision: 'approve' })).statusCode).toBe(409);
    await eventOf(SalesDealEvents.quoteApproved.type, quote.id);
    const decided = h.salesEvents.filter((e) => e.type === SalesDealEvents.quoteApprovalDecided.type && (e.data as { quoteId: string }).quoteId === quote.id);
    expect(decided.map((e) => (e.data as { role: string }).role)).toEqual(['sales-manager', 'finance']);
    expect(JSON.stringify(decided)).not.toContain('fleet deal');
  });

  it('never lets the submitter decide on its own quote, even holding the role (422)', async () => {
    const quote = await create(wang, draft([{ sku: SUV, quantity: 1, discountPercent: 20 }]));
    expect((await step(wang, quote.id, 'submit')).json().status).toBe('pending_approval');
    const own = await step(wang, quote.id, 'approvals', { decision: 'approve' });
    expect(own.statusCode).toBe(422);
    expect(own.json().detail).toContain('submitter');
    expect((await inject('GET', `/v1/quotes/${quote.id}`, wang)).json().approval.decisions).toEqual([]);
  });

  it('rejects at a step, then a revision makes version 2 while version 1 stays readable', async () => {
    const quote = await create(li, draft([{ sku: SUV, quantity: 1, discountPercent: 20 }]));
    await step(li, quote.id, 'submit');
    const rejected = await step(wang, quote.id, 'approvals', { decision: 'reject', comment: 'too deep' });
    expect(rejected.json()).toMatchObject({ status: 'rejected' });
    await eventOf(SalesDealEvents.quoteRejected.type, quote.id);
    expect((await step(li, quote.id, 'send')).statusCode).toBe(409);

    const current = await inject('GET', `/v1/quotes/${quote.id}`, li);
    expect((await inject('PUT', `/v1/quotes/${quote.id}`, li, { validUntil: '2026-12-31', lines: [{ sku: SUV, quantity: 1, discountPercent: 10 }] })).statusCode).toBe(428);
    const revised = await inject('PUT', `/v1/quotes/${quote.id}`, li, { validUntil: '2026-12-31', lines: [{ sku: SUV, quantity: 1, discountPercent: 10 }] }, { 'if-match': current.headers.etag as string });
    expect(revised.statusCode).toBe(200);
    expect(revised.json()).toMatchObject({ status: 'draft', version: 2, total: '171000.00', approval: { chain: [], submittedBy: null } });
    const versions = (await inject('GET', `/v1/quotes/${quote.id}/versions`, li)).json().items;
    expect(versions.map((v: { version: number; total: string }) => [v.version, v.total])).toEqual([[1, '171760.00'], [2, '171000.00']]);
    // 10 % is within the rules: approved at once.
    expect((await step(li, quote.id, 'submit')).json()).toMatchObject({ status: 'approved', approval: { ruleId: null, reason: 'no approval rule matches' } });
    expect((await inject('PUT', `/v1/quotes/${quote.id}`, li, { validUntil: '2026-12-31', lines: [{ sku: MAT, quantity: 1 }] }, { 'if-match': '"99"' })).statusCode).toBe(412);
  });

  it('sends, records the acceptance and orders the quote once, copying its priced lines', async () => {
    const quote = await create(li, draft([{ sku: SUV, quantity: 1 }, { sku: MAT, quantity: 2 }], { headerDiscountPercent: 1 }));
    expect((await step(li, quote.id, 'accept')).statusCode).toBe(409);
    expect((await step(li, quote.id, 'submit')).json().status).toBe('approved');
    expect((await step(li, quote.id, 'order')).statusCode).toBe(409);
    expect((await step(buyer, quote.id, 'send')).statusCode).toBe(403);
    expect((await step(li, quote.id, 'send')).json().status).toBe('sent');
    expect((await step(buyer, quote.id, 'accept')).json().status).toBe('accepted');
    // The list price moves after the acceptance: the order keeps the quoted price.
    const repriced = await inject('PUT', `/v1/products/${matId}`, admin, { ...mat, listPrices: [{ amount: '599.90', currency: 'CNY' }] }, { 'if-match': '"1"' });
    expect(repriced.statusCode).toBe(200);
    const orders = await count('sales_order');
    const ordered = await step(buyer, quote.id, 'order');
    expect(ordered.statusCode).toBe(201);
    // 190,000.00 + 999.80 = 190,999.80 less 1 % (1,909.998 → 1,910.00), spread: 1,900.00 and 10.00.
    expect(ordered.json()).toMatchObject({ customerId: org, dealerId: dealerA, ownerSubject: li.subject, total: '189089.80' });
    expect(ordered.json().lines).toEqual([
      expect.objectContaining({ sku: SUV, unitPrice: '190000.00', amount: '188100.00', priceRule: expect.stringContaining(`quote ${quote.id} v1`) }),
      expect.objectContaining({ sku: MAT, unitPrice: '499.90', amount: '989.80' }),
    ]);
    const again = await step(li, quote.id, 'order');
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain(ordered.json().id);
    expect(await count('sales_order')).toBe(orders + 1);
    expect((await inject('GET', `/v1/quotes/${quote.id}`, li)).json()).toMatchObject({ status: 'ordered', orderId: ordered.json().id });
    await eventOf(SalesDealEvents.quoteAccepted.type, quote.id);
    await eventually('the order event', async () => h.salesEvents.find((e) => e.type === SalesDealEvents.orderPlaced.type && (e.data as { orderId: string }).orderId === ordered.json().id));
  });

  it('refuses to order an expired quote, writing no order, and records the expiry', async () => {
    const quote = await create(li, draft([{ sku: MAT, quantity: 1 }], { validUntil: '2026-12-11' }));
    await step(li, quote.id, 'submit');
    await step(li, quote.id, 'send');
    await step(li, quote.id, 'accept');
    clock += 2 * 24 * 3600 * 1000;
    try {
      expect((await inject('GET', `/v1/quotes/${quote.id}`, li)).json().status).toBe('expired');
      const listed = async (status: string) => (await inject('GET', `/v1/quotes?limit=200&status=${status}`, li)).json().items.map((q: { id: string }) => q.id);
      expect(await listed('expired')).toContain(quote.id);
      expect(await listed('accepted')).not.toContain(quote.id);
      const orders = await count('sales_order');
      const refused = await step(li, quote.id, 'order');
      expect(refused.statusCode).toBe(409);
      expect(refused.json().detail).toContain('valid until 2026-12-11');
      expect(await count('sales_order')).toBe(orders);
      await eventOf(SalesDealEvents.quoteExpired.type, quote.id);
      expect((await step(li, quote.id, 'order')).statusCode).toBe(409);
    } finally {
      clock -= 2 * 24 * 3600 * 1000;
    }
  });

  it("routes an organisation buyer's quote above its policy to its own approver first", async () => {
    const quote = await create(buyer, draft([{ sku: SUV, quantity: 1 }]));
    expect(quote).toMatchObject({ createdBy: `account:${org}:${buyer.subject}`, ownerSubject: null, dealerId: dealerA });
    const submitted = (await step(buyer, quote.id, 'submit')).json();
    expect(submitted).toMatchObject({ status: 'pending_approval', approval: { chain: ['account:approver'], currentStep: 1 } });
    expect(submitted.approval.reason).toContain("the organisation's policy");
    expect((await step(buyer, quote.id, 'approvals', { decision: 'approve' })).statusCode).toBe(403);
    expect((await step(accountPrincipal(otherOrg, 'approver'), quote.id, 'approvals', { decision: 'approve' })).statusCode).toBe(404);
    // It is in its own organisation's approver's inbox, never in another organisation's.
    const inboxOf = async (principal: Principal) => (await inject('GET', '/v1/quotes?awaitingMyApproval=true&limit=200', principal)).json().items.map((q: { id: string }) => q.id);
    expect(await inboxOf(approver)).toContain(quote.id);
    expect(await inboxOf(accountPrincipal(otherOrg, 'approver'))).not.toContain(quote.id);
    expect((await step(wang, quote.id, 'approvals', { decision: 'approve' })).statusCode).toBe(404);
    expect((await step(finance, quote.id, 'approvals', { decision: 'approve' })).statusCode).toBe(403);
    const approved = await step(approver, quote.id, 'approvals', { decision: 'approve', comment: 'within budget' });
    expect(approved.json()).toMatchObject({ status: 'approved', approval: { decisions: [expect.objectContaining({ role: 'account:approver', decidedBy: `account:${org}:${approver.subject}` })] } });

    // Below the threshold, and a buyer's deep discount: the staff chain only.
    const small = await create(buyer, draft([{ sku: MAT, quantity: 1 }]));
    expect((await step(buyer, small.id, 'submit')).json().status).toBe('approved');
    const deep = await create(buyer, draft([{ sku: SUV, quantity: 1, discountPercent: 60 }]));
    expect((await step(buyer, deep.id, 'submit')).json().approval.chain).toEqual(['sales-manager', 'finance']);
  });

  it('shows a quote only within the caller\'s scope: 404 for other dealers, organisations and reps', async () => {
    const quote = await create(li, draft([{ sku: MAT, quantity: 1 }]));
    for (const insider of [li, wang, dealerPrincipal(dealerA), accountPrincipal(org, 'viewer'), finance]) {
      expect((await inject('GET', `/v1/quotes/${quote.id}`, insider)).statusCode).toBe(200);
    }
    for (const outsider of [dealerPrincipal(dealerB), accountPrincipal(otherOrg, 'viewer'), rep('stranger'), manager('other-manager')]) {
      expect((await inject('GET', `/v1/quotes/${quote.id}`, outsider)).statusCode).toBe(404);
      expect((await inject('GET', `/v1/quotes/${quote.id}/versions`, outsider)).statusCode).toBe(404);
      expect((await inject('GET', '/v1/quotes?limit=200', outsider)).json().items.map((q: { id: string }) => q.id)).not.toContain(quote.id);
    }
    expect((await step(dealerPrincipal(dealerB), quote.id, 'submit')).statusCode).toBe(404);
    expect((await step(accountPrincipal(otherOrg, 'buyer'), quote.id, 'submit')).statusCode).toBe(404);
    expect((await inject('GET', `/v1/quotes/${quote.id}`, admin)).json().status).toBe('draft');
    expect((await inject('POST', '/v1/quotes', dealerPrincipal(dealerB), draft([{ sku: MAT, quantity: 1 }]))).statusCode).toBe(404);
    expect((await inject('GET', `/v1/customers/${org}/sales/approval-policy`, accountPrincipal(otherOrg, 'buyer'))).statusCode).toBe(404);
  });

  it("puts a quote in its approvers' inbox: a rep's with its own team's managers, a dealer's with any manager", async () => {
    const inbox = async (principal: Principal) => (await inject('GET', '/v1/quotes?awaitingMyApproval=true&limit=200', principal)).json().items.map((q: { id: string }) => q.id);
    const repQuote = await create(li, draft([{ sku: SUV, quantity: 1, discountPercent: 20 }]));
    const dealerQuote = await create(dealerPrincipal(dealerA), draft([{ sku: SUV, quantity: 1, discountPercent: 20 }]));
    for (const quote of [repQuote, dealerQuote]) expect((await step(quote === repQuote ? li : dealerPrincipal(dealerA), quote.id, 'submit')).json().status).toBe('pending_approval');
    expect(await inbox(wang)).toEqual(expect.arrayContaining([repQuote.id, dealerQuote.id]));
    // Another team's manager decides the dealer's quote's step, never the rep's (not its team: 404 as for none).
    const outsider = manager('other-manager');
    expect(await inbox(outsider)).toContain(dealerQuote.id);
    expect(await inbox(outsider)).not.toContain(repQuote.id);
    expect((await step(outsider, repQuote.id, 'approvals', { decision: 'approve' })).statusCode).toBe(404);
    expect((await inject('GET', `/v1/quotes/${dealerQuote.id}`, outsider)).statusCode).toBe(200);
    // Finance's step comes second: not in its inbox yet; the flag takes only true or false.
    expect(await inbox(finance)).not.toContain(dealerQuote.id);
    expect((await inject('GET', '/v1/quotes?awaitingMyApproval=yes', wang)).statusCode).toBe(400);
    expect((await step(outsider, dealerQuote.id, 'approvals', { decision: 'approve' })).json().approval.currentStep).toBe(2);
    expect(await inbox(finance)).toContain(dealerQuote.id);
    expect(await inbox(outsider)).not.toContain(dealerQuote.id);
    expect((await inject('GET', `/v1/quotes/${dealerQuote.id}`, outsider)).statusCode).toBe(404);
  });

  it("moves a merged customer's quotes to the survivor, exports them and erases them with their decisions", async () => {
    const duplicate = randomUUID();
    await h.knownCustomer(snapshot(duplicate, { kind: 'organization', dealerId: dealerA }));
    const quote = await create(li, draft([{ sku: SUV, quantity: 1, discountPercent: 20 }], { customerId: duplicate }));
    await step(li, quote.id, 'submit');
    await step(wang, quote.id, 'approvals', { decision: 'reject' });
    const survivor = randomUUID();
    await h.knownCustomer(snapshot(survivor, { kind: 'organization', dealerId: dealerA }));
    await h.publish(CustomerEvents.merged, { survivorId: survivor, mergedId: duplicate, survivor: snapshot(survivor, { kind: 'organization', dealerId: dealerA, version: 3 }) });
    await eventually('the move', async () => ((await inject('GET', `/v1/quotes/${quote.id}`, admin)).json().customerId === survivor ? true : undefined));
    const exported = (await inject('GET', `/v1/customers/${survivor}/personal-data`, admin)).json();
    expect(exported.sections.quotes.map((q: { id: string }) => q.id)).toEqual([quote.id]);

    await h.publish(CustomerEvents.erased, { customerId: survivor, mergedIds: [duplicate] });
    await eventually('the erasure', async () => ((await inject('GET', `/v1/quotes/${quote.id}`, admin)).statusCode === 404 ? true : undefined));
    expect((await sql`select 1 from sales.quote_approval where quote_id = ${quote.id}`.execute(h.db)).rows).toEqual([]);
    expect((await sql`select 1 from sales.quote_version where quote_id = ${quote.id}`.execute(h.db)).rows).toEqual([]);
  });
});
