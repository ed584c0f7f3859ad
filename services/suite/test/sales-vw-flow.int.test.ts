import { eventually } from '@crm/testkit';
import { ADMIN, callJson, startSuite, type RunningSuite } from './harness';

/**
 * The Shanghai-VW flow through the gateway, every call as its real caller makes it: a hotline lead is
 * rated hot and routed to the dealer of its province, the dealer books a test drive and logs it (first
 * contact: the SLA clock stops), converts the lead (a customer in the customers service, an opportunity),
 * quotes with a discount that needs the sales manager's and then finance's approval, and orders: the
 * order reaches scoring and the customer's timeline without a batch job.
 */
let suite: RunningSuite;
beforeAll(async () => {
  suite = await startSuite('sales-vw-flow');
});
afterAll(() => suite?.close());

const as = (key: string) => ({ authorization: `Bearer ${key}` });
const call = (method: string, url: string, headers: Record<string, string>, body?: unknown) => callJson(suite.api, method, url, headers, body);
/** An API key for a principal, issued by the admin as a portal or an internal frontend would get one. */
async function credentialFor(principal: object): Promise<Record<string, string>> {
  const issued = await call('POST', '/v1/api-clients', ADMIN, { name: `vw ${JSON.stringify(principal).slice(0, 40)}`, principal });
  expect(issued.status).toBe(201);
  return as(issued.body.apiKey);
}
/** A weekday at 10:00 in Shanghai, `days` ahead (skipping weekends), as an instant. */
function weekdayAt10(days: number): Date {
  const day = new Date(Date.now() + days * 86_400_000);
  while ([0, 6].includes(day.getUTCDay())) day.setUTCDate(day.getUTCDate() + 1);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 2, 0)); // 10:00 in UTC+8
}

describe('lead → dealer → test drive → opportunity → quote → approval → order', () => {
  it('runs end to end through the gateway, each step in the caller scope', async () => {
    const dealer = await call('POST', '/v1/dealers', ADMIN, { code: 'SH-PD-01', name: 'Shanghai Pudong VW' });
    expect(dealer.status).toBe(201);
    const dealerId: string = dealer.body.id;
    const otherDealer = await call('POST', '/v1/dealers', ADMIN, { code: 'BJ-01', name: 'Beijing VW' });
    const pudong = await credentialFor({ kind: 'dealer', subject: 'pudong-portal', dealerId });
    const beijing = await credentialFor({ kind: 'dealer', subject: 'beijing-portal', dealerId: otherDealer.body.id });
    const manager = await credentialFor({ kind: 'staff', subject: 'wang.manager', roles: ['sales-manager'] });
    const finance = await credentialFor({ kind: 'staff', subject: 'zhou.finance', roles: ['finance'] });

    // Admin rules: a test-drive request to buy within a month is hot; Shanghai's leads go to Pudong within 4 business hours.
    expect((await call('POST', '/v1/lead-rating-rules', ADMIN, { name: 'Ready to buy', position: 1, conditions: { purchaseTimeframes: ['within_1_month'], testDriveRequested: true }, rating: 'hot' })).status).toBe(201);
    const rule = await call('POST', '/v1/lead-assignment-rules', ADMIN, { name: 'Shanghai', position: 1, conditions: { provinces: ['Shanghai'] }, target: 'dealers', dealerIds: [dealerId], slaBusinessHours: 4 });
    expect(rule.status).toBe(201);
    expect((await call('POST', '/v1/products', ADMIN, { sku: 'PASSAT-330', name: 'Passat 330TSI', category: 'cars', productLine: 'passat', listPrices: [{ amount: '219900.00', currency: 'CNY' }], unitCost: { amount: '180000.00', currency: 'CNY' } })).status).toBe(201);
    expect((await call('POST', '/v1/price-books', ADMIN, { name: 'Standard 2026', kind: 'standard', currency: 'CNY', validFrom: '2026-01-01', validTo: null, entries: [{ sku: 'PASSAT-330', breaks: [{ minQuantity: 1, unitPrice: '209900.00' }] }] })).status).toBe(201);
    const pipeline = await call('POST', '/v1/pipelines', ADMIN, {
      name: 'Dealer sales', channel: 'dealer', isDefault: true,
      stages: [{ key: 'test-drive', name: 'Test drive', probability: 30, forecastCategory: 'pipeline' }, { key: 'quote', name: 'Quote', probability: 60, forecastCategory: 'best_case' }, { key: 'contract', name: 'Contract', probability: 90, forecastCategory: 'commit' }],
    });
    expect(pipeline.status).toBe(201);
    expect((await call('POST', '/v1/quote-approval-rules', ADMIN, { name: 'Discount over 5%', position: 1, conditions: { discountPercentAbove: 5 }, chain: ['sales-manager', 'finance'] })).status).toBe(201);

    // The hotline captures the lead: rated hot, placed with Pudong, and the routing says why.
    const captured = await call('POST', '/v1/leads', ADMIN, {
      channel: 'hotline', name: 'Chen Jie', phone: '+86 138 0013 8000', province: 'Shanghai', city: 'Shanghai', productLine: 'passat', modelOfInterest: 'Passat 330TSI', purchaseTimeframe: 'within_1_month', testDriveRequested: true,
    });
    expect(captured.status).toBe(201);
    const leadId: string = captured.body.leadId;
    const lead = (await call('GET', `/v1/leads/${leadId}`, pudong)).body;
    expect(lead).toMatchObject({ rating: 'hot', dealerId, status: 'assigned', phone: '+8613800138000' });
    expect(lead.routing.at(-1)).toMatchObject({ ruleId: rule.body.id, dealerId });
    expect(lead.slaDueAt).toEqual(expect.any(String));
    // Another dealer cannot see it, nor act on it.
    expect((await call('GET', `/v1/leads/${leadId}`, beijing)).status).toBe(404);
    expect((await call('POST', `/v1/leads/${leadId}/accept`, beijing)).status).toBe(404);

    // Pudong's daily hot list holds it; Pudong accepts it.
    const hot = await call('GET', `/v1/leads/hot?dealerId=${dealerId}`, pudong);
    expect(hot.status).toBe(200);
    expect(JSON.stringify(hot.body)).toContain(leadId);
    expect([200, 204]).toContain((await call('POST', `/v1/leads/${leadId}/accept`, pudong)).status);

    // A test-drive car on Pudong's calendar: one booking per slot, a second one for the same hour is refused.
    const calendar = `dealer:${dealerId}`;
    const car = await call('POST', `/v1/calendars/${calendar}/resources`, pudong, { name: 'Passat demo car' });
    expect(car.status).toBe(201);
    const start = weekdayAt10(2);
    const slot = { start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString(), resourceId: car.body.id };
    expect((await call('POST', `/v1/calendars/${calendar}/bookings`, pudong, { ...slot, title: 'Test drive: Chen Jie' })).status).toBe(201);
    const twice = await call('POST', `/v1/calendars/${calendar}/bookings`, pudong, { ...slot, title: 'Someone else' });
    expect(twice.status).toBe(409);
    expect(twice.headers.get('content-type')).toContain('application/problem+json');
    const window = `from=${encodeURIComponent(slot.start)}&to=${encodeURIComponent(slot.end)}`;
    expect((await call('GET', `/v1/calendars/${calendar}/bookings?${window}`, pudong)).body.items).toHaveLength(1);
    expect((await call('GET', `/v1/calendars/${calendar}/bookings?${window}`, beijing)).status).toBe(404);

    // The test drive, logged on the lead: the first contact stops the SLA clock.
    const drive = await call('POST', '/v1/activities', pudong, { kind: 'test_drive', target: { kind: 'lead', id: leadId }, subject: 'Test drive', dueAt: slot.start, durationMinutes: 60 });
    expect(drive.status).toBe(201);
    expect((await call('POST', `/v1/activities/${drive.body.id}/complete`, pudong, { outcome: 'interested' })).status).toBe(200);
    expect((await call('GET', `/v1/leads/${leadId}`, pudong)).body.firstContactAt).toEqual(expect.any(String));

    // Conversion: a customer in the customers service (the dealer's), and an opportunity, in one call.
    const converted = await call('POST', `/v1/leads/${leadId}/convert`, pudong, { newCustomerKind: 'person', opportunity: { name: 'Passat for Chen Jie', amount: { amount: '209900.00', currency: 'CNY' } } });
    expect(converted.status).toBe(200);
    expect(converted.body).toMatchObject({ leadId });
    const { customerId, opportunityId } = converted.body as { customerId: string; opportunityId: string };
    const customer = await call('GET', `/v1/customers/${customerId}`, pudong);
    expect(customer.body).toMatchObject({ id: customerId, dealerId });
    // A lead the dealer converts becomes an opportunity in the dealer pipeline, at its first stage.
    expect((await call('GET', `/v1/opportunities/${opportunityId}`, pudong)).body).toMatchObject({ customerId, dealerId, leadId, pipelineId: pipeline.body.id, stage: 'test-drive' });
    expect((await call('GET', `/v1/opportunities/${opportunityId}`, beijing)).status).toBe(404);

    // A follow-up call on the opportunity lands on the new customer's lifetime timeline.
    const followUp = await call('POST', '/v1/activities', pudong, { kind: 'call', target: { kind: 'opportunity', id: opportunityId }, subject: 'Follow-up on the test drive' });
    expect(followUp.status).toBe(201);
    expect((await call('POST', `/v1/activities/${followUp.body.id}/complete`, pudong, { outcome: 'reached' })).status).toBe(200);

    // The quote: 8% off needs the manager, then finance. The dealer who submitted it cannot approve it.
    const quoteBody = { customerId, currency: 'CNY', validUntil: new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10), taxPercent: 13, lines: [{ sku: 'PASSAT-330', quantity: 1, discountPercent: 8 }] };
    const quote = await eventually('sales to know the converted customer', async () => {
      const created = await call('POST', '/v1/quotes', pudong, quoteBody);
      return created.status === 201 ? created.body : undefined;
    });
    expect(quote).toMatchObject({ status: 'draft', dealerId });
    expect((await call('POST', `/v1/quotes/${quote.id}/submit`, pudong)).body).toMatchObject({ status: 'pending_approval' });
    const own = await call('POST', `/v1/quotes/${quote.id}/approvals`, pudong, { decision: 'approve' });
    expect([403, 422]).toContain(own.status);
    expect((await call('POST', `/v1/quotes/${quote.id}/approvals`, finance, { decision: 'approve' })).status).toBeGreaterThanOrEqual(400); // not finance's turn yet
    // The manager finds it in its approval inbox (a dealer's quote has no team: any sales manager decides its step).
    const inbox = await call('GET', '/v1/quotes?awaitingMyApproval=true', manager);
    expect(inbox.body.items.map((item: { id: string }) => item.id)).toEqual([quote.id]);
    expect((await call('GET', '/v1/quotes?awaitingMyApproval=true', finance)).body.items).toEqual([]);
    expect((await call('POST', `/v1/quotes/${quote.id}/approvals`, manager, { decision: 'approve', comment: 'ok for a first Passat' })).status).toBe(200);
    // Once decided, the quote leaves the manager's inbox and sight (it is the dealer's, not the manager's team's).
    expect((await call('GET', `/v1/quotes/${quote.id}`, manager)).status).toBe(404);
    const approved = await call('POST', `/v1/quotes/${quote.id}/approvals`, finance, { decision: 'approve' });
    expect(approved.body).toMatchObject({ status: 'approved' });
    expect((await call('POST', `/v1/quotes/${quote.id}/send`, pudong)).body).toMatchObject({ status: 'sent' });
    expect((await call('POST', `/v1/quotes/${quote.id}/accept`, pudong)).body).toMatchObject({ status: 'accepted' });
    const order = await call('POST', `/v1/quotes/${quote.id}/order`, pudong);
    expect(order.status).toBe(201);
    // The order is the quote's priced lines (209,900.00 less 8%); the 13% tax is not part of the sales figure.
    expect(order.body).toMatchObject({ customerId, dealerId, status: 'placed', total: '193108.00' });
    expect(quote.total).toBe('218212.04');
    expect((await call('POST', `/v1/quotes/${quote.id}/order`, pudong)).status).toBe(409);

    // The closed loop: scoring books the order for the customer, and the timeline shows the follow-up call and the order.
    await eventually(
      "the order in the customer's scores",
      async () => {
        const scores = await call('GET', `/v1/customers/${customerId}/scores`, ADMIN);
        return scores.status === 200 && Number(scores.body.historical.revenue) > 0 ? scores.body : undefined;
      },
      30_000,
    );
    const timeline = await eventually('the follow-up call and the order on the timeline', async () => {
      const types = ((await call('GET', `/v1/customers/${customerId}/timeline`, ADMIN)).body.items as { type: string }[]).map((item) => item.type);
      return types.includes('crm.sales.order.placed.v1') && types.includes('crm.sales.activity.logged.v1') ? types : undefined;
    });
    expect(timeline).toEqual(expect.arrayContaining(['crm.sales.order.placed.v1', 'crm.sales.activity.logged.v1']));

    // The dealer's response is reportable: one lead, accepted, contacted.
    const report = await call('GET', `/v1/sales-reports/lead-response?from=2026-01-01T00:00:00Z&to=2027-12-31T00:00:00Z`, ADMIN);
    expect(report.status).toBe(200);
    expect(report.body.rows.find((row: { dealerId: string }) => row.dealerId === dealerId)).toMatchObject({ assigned: 1, accepted: 1, acceptanceRate: 1, contacted: 1, slaBreaches: 0 });
  });
});
