import { randomUUID } from 'node:crypto';
import type { Principal } from '@crm/domain';
import { createOutbox, systemRuntime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { startCustomers, type Harness as CustomersHarness } from '../../customers/test/harness';
import type { SalesDb } from '../src/db/tables';
import type { CustomersClient } from '../src/leads/customers.client';
import { createCustomersClient } from '../src/leads/customers.client';
import { createLeadService } from '../src/leads/lead.service';
import type { OpportunityCreator } from '../src/leads/opportunity-creator';
import { admin, as, dealerPrincipal, erp, rep, SECRET, snapshot, startSales, type SalesHarness } from './harness';

/** Lead capture, dedupe, rating, routing and the lifecycle on the real PostgreSQL, Kafka and customers service. */
let h: SalesHarness;
let customers: CustomersHarness;
let now = new Date('2026-12-07T02:00:00Z'); // Monday 10:00 in Shanghai
const runtime = { now: () => now, newId: () => systemRuntime.newId() };
const inject = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, principal: Principal, payload?: object | string, headers: Record<string, string> = {}) =>
  h.service.app.inject({ method, url, headers: as(principal, headers), ...(payload !== undefined ? { payload } : {}) });
const count = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`sales.${table}`)}`.execute(h.db)).rows[0]!.n);
const eventsOf = (type: string, leadId: string) => h.salesEvents.filter((e) => e.type === type && (e.data as { leadId: string }).leadId === leadId);

/**
 * The lead service on the harness's database (the one the app serves), for what HTTP does not reach:
 * the SLA check with the injected clock, and conversion with an opportunities port.
 */
const leadServiceOnTheSameDatabase = (overrides: { customers?: CustomersClient; opportunities?: OpportunityCreator } = {}) => {
  const db = h.db.withSchema('sales') as unknown as SalesDb;
  return createLeadService({
    db,
    runtime,
    outbox: createOutbox('/crm/sales', runtime),
    write: (work) => db.transaction().execute(work),
    timeZone: 'Asia/Shanghai',
    customers: overrides.customers ?? { match: async () => [], create: async () => randomUUID(), addContact: async () => randomUUID() },
    opportunities: overrides.opportunities ?? { createFromLead: () => Promise.reject(new Error('no opportunities in this test')) },
    internalSecret: SECRET,
  });
};

const dealerA = randomUUID();
const dealerB = randomUUID();
const dealerC = randomUUID();
const tag = randomUUID().slice(0, 8);
const phoneOf = (n: number) => `+8613${String(n).padStart(9, '0')}`;
let knownCustomerId: string;
let customersUrl: string;
let shanghaiRuleId: string;

beforeAll(async () => {
  customers = await startCustomers();
  await customers.service.app.listen({ port: 0, host: '127.0.0.1' });
  const address = customers.service.app.server.address() as { port: number };
  customersUrl = `http://127.0.0.1:${address.port}`;
  h = await startSales({ runtime, env: { CUSTOMERS_URL: customersUrl, SALES_SLA_CHECK_SECONDS: '3600' } });
  const created = await customers.service.app.inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: { kind: 'person', displayName: 'Known Wang', emails: [`known-${tag}@example.com`], phones: [phoneOf(1)] } });
  expect(created.statusCode).toBe(201);
  knownCustomerId = created.json().id;

  const rating = [
    { name: 'Ready buyer', position: 10, rating: 'hot', conditions: { purchaseTimeframes: ['within_1_month'], testDriveRequested: true } },
    { name: 'Soon', position: 20, rating: 'warm', conditions: { purchaseTimeframes: ['1_3_months'] } },
  ];
  for (const rule of rating) expect((await inject('POST', '/v1/lead-rating-rules', admin, rule)).statusCode).toBe(201);
  const shanghai = await inject('POST', '/v1/lead-assignment-rules', admin, { name: 'Shanghai hot', position: 10, conditions: { provinces: ['Shanghai'], ratings: ['hot'] }, target: 'dealers', dealerIds: [dealerA, dealerB], slaBusinessHours: 2, reassignOnBreach: true });
  expect(shanghai.statusCode).toBe(201);
  shanghaiRuleId = shanghai.json().id;
  expect((await inject('POST', '/v1/lead-assignment-rules', admin, { name: 'Beijing', position: 20, conditions: { provinces: ['Beijing'] }, target: 'dealers', dealerIds: [dealerC], slaBusinessHours: 4 })).statusCode).toBe(201);
});
afterAll(async () => {
  await h?.close();
  await customers?.close();
});

const hotLead = (n: number, extra: object = {}) => ({ channel: 'web', name: `Lead ${n}`, email: `lead-${n}-${tag}@Example.com`, phone: phoneOf(100 + n), province: 'Shanghai', city: 'Shanghai', modelOfInterest: 'Passat', purchaseTimeframe: 'within_1_month', testDriveRequested: true, ...extra });

describe('rules', () => {
  it('refuses inconsistent assignment rules, non-admins and unknown teams, writing nothing', async () => {
    const before = await count('lead_assignment_rule');
    expect((await inject('POST', '/v1/lead-assignment-rules', admin, { name: 'x', position: 1, conditions: {}, target: 'dealers' })).statusCode).toBe(400);
    expect((await inject('POST', '/v1/lead-assignment-rules', admin, { name: 'x', position: 1, conditions: {}, target: 'team', teamId: randomUUID() })).statusCode).toBe(422);
    expect((await inject('POST', '/v1/lead-assignment-rules', rep('li'), { name: 'x', position: 1, conditions: {}, target: 'queue' })).statusCode).toBe(403);
    expect((await inject('POST', '/v1/lead-rating-rules', admin, { name: 'x', position: 1, rating: 'hot', conditions: { minBudget: { amount: '1.234', currency: 'CNY' } } })).statusCode).toBe(400);
    expect(await count('lead_assignment_rule')).toBe(before);
    const list = await inject('GET', '/v1/lead-assignment-rules', admin);
    expect(list.json().items.map((r: { name: string }) => r.name)).toEqual(['Shanghai hot', 'Beijing']);
  });
});

describe('capture', () => {
  it('captures a lead once per Idempotency-Key: matched to the known customer, rated, routed with the reason and an SLA', async () => {
    const body = { channel: 'hotline', name: 'Known Wang', phone: '+86 13 000000001'.replace(/ /g, ''), province: 'Shanghai', purchaseTimeframe: 'within_1_month', testDriveRequested: true };
    const first = await inject('POST', '/v1/leads', erp, body, { 'idempotency-key': `cap-${tag}` });
    expect(first.statusCode).toBe(201);
    const answer = first.json();
    expect(answer).toMatchObject({ outcome: 'created', rating: 'hot', matchedCustomer: { customerId: knownCustomerId, on: 'phone' }, customerMatch: 'matched', routing: { dealerId: dealerA, queued: false } });
    expect(answer.lead).toMatchObject({ status: 'assigned', dealerId: dealerA, customerId: knownCustomerId, assignmentRuleId: shanghaiRuleId, slaDueAt: '2026-12-07T04:00:00.000Z' });
    expect(answer.lead.routing).toEqual([expect.objectContaining({ ruleName: 'Shanghai hot', reason: `province Shanghai, rating hot → dealer ${dealerA}`, dealerId: dealerA })]);
    const replay = await inject('POST', '/v1/leads', erp, body, { 'idempotency-key': `cap-${tag}` });
    expect(replay.json().leadId).toBe(answer.leadId);
    const leadId = answer.leadId as string;
    await eventually('captured and routed events', async () => (eventsOf('crm.sales.lead.routed.v1', leadId).length > 0 && eventsOf('crm.sales.lead.captured.v1', leadId).length === 1 ? true : undefined));
    const captured = eventsOf('crm.sales.lead.captured.v1', leadId)[0]!;
    expect(JSON.stringify(captured.data)).not.toContain('Wang');
  });

  it('attaches a capture with the e-mail or phone of an open lead as a touch instead of a second lead', async () => {
    const first = await inject('POST', '/v1/leads', rep('li'), hotLead(1));
    expect(first.statusCode).toBe(201);
    const leads = await count('lead');
    const again = await inject('POST', '/v1/leads', rep('li'), { channel: 'campaign', campaignRef: 'XMAS', phone: phoneOf(101) });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ outcome: 'deduplicated', leadId: first.json().leadId, deduplicated: { leadId: first.json().leadId, on: 'phone' } });
    expect(await count('lead')).toBe(leads);
    const lead = (await inject('GET', `/v1/leads/${first.json().leadId}`, admin)).json();
    expect(lead.email).toBe(`lead-1-${tag}@example.com`);
    expect(lead.touches).toEqual([expect.objectContaining({ channel: 'campaign', campaignRef: 'XMAS', matchedOn: 'phone' })]);
  });

  it("never attaches a dealer's capture to another dealer's lead: nothing tells the dealer someone else works the person", async () => {
    const atA = await inject('POST', '/v1/leads', dealerPrincipal(dealerA), hotLead(55));
    expect(atA.statusCode).toBe(201);
    const ownAgain = await inject('POST', '/v1/leads', dealerPrincipal(dealerA), { channel: 'dealer', phone: phoneOf(155) });
    expect(ownAgain.json()).toMatchObject({ outcome: 'deduplicated', leadId: atA.json().leadId });
    const atB = await inject('POST', '/v1/leads', dealerPrincipal(dealerB), { channel: 'dealer', email: `lead-55-${tag}@example.com`, phone: phoneOf(155) });
    expect(atB.statusCode).toBe(201);
    expect(atB.json()).toMatchObject({ outcome: 'created', lead: { dealerId: dealerB } });
    expect(JSON.stringify(atB.json())).not.toContain(atA.json().leadId);
    expect((await inject('GET', `/v1/leads/${atA.json().leadId}`, admin)).json().touches).toHaveLength(1);
  });

  it('takes a JSON batch with per-item results: errors, dedupe within the batch, routing by province, fallback queue', async () => {
    const before = await count('lead');
    const response = await inject('POST', '/v1/leads/batch', erp, {
      items: [
        hotLead(2),
        { channel: 'web', email: `lead-2-${tag}@example.com` },
        { channel: 'fax' },
        { channel: 'web', name: 'B', province: 'Beijing', purchaseTimeframe: '1_3_months', phone: phoneOf(300) },
        { channel: 'import', name: 'Nowhere', budget: { amount: '10.001', currency: 'CNY' } },
        { channel: 'import', name: 'Nowhere', province: 'Tibet' },
        { channel: 'web', customerId: randomUUID() },
      ],
    });
    expect(response.statusCode).toBe(200);
    const { results, summary } = response.json();
    expect(summary).toEqual({ received: 7, created: 3, deduplicated: 1, errors: 3 });
    expect(results.map((r: { status: string }) => r.status)).toEqual(['created', 'deduplicated', 'error', 'created', 'error', 'created', 'error']);
    expect(results[1].deduplicated).toEqual({ leadId: results[0].leadId, on: 'email' });
    expect(results[2].error.status).toBe(400);
    expect(results[3]).toMatchObject({ rating: 'warm', routing: { dealerId: dealerC } });
    expect(results[4].error.detail).toContain('CNY allows 2 decimal places');
    expect(results[5]).toMatchObject({ rating: 'cold', routing: { queued: true, reason: 'no rule matched → fallback queue' } });
    expect(results[6].error.status).toBe(404);
    expect(await count('lead')).toBe(before + 3);
  });

  it('streams an NDJSON batch back line by line, with a bad line as its own error', async () => {
    const lines = [JSON.stringify(hotLead(10)), '{not json', JSON.stringify(hotLead(11, { province: 'Beijing' }))].join('\n');
    const response = await h.service.app.inject({ method: 'POST', url: '/v1/leads/batch', headers: as(erp, { 'content-type': 'application/x-ndjson' }), payload: lines });
    expect(response.statusCode).toBe(200);
    const answer = response.body.trim().split('\n').map((line) => JSON.parse(line));
    expect(answer.map((a) => a.status ?? 'summary')).toEqual(['created', 'error', 'created', 'summary']);
    expect(answer[2].routing.dealerId).toBe(dealerC);
    expect(answer[3].summary).toEqual({ received: 3, created: 2, deduplicated: 0, errors: 1 });
  });

  it('streams an NDJSON batch longer than a chunk, deduplicating across chunks, and refuses a JSON batch over 5,000 items', async () => {
    const before = await count('lead');
    // 2,500 lines: three chunks; line 1,500 repeats the e-mail of line 10 (an earlier chunk).
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ channel: 'import', name: `Bulk ${i}`, email: `bulk-${i === 1500 ? 10 : i}-${tag}@example.com`, province: 'Beijing' }));
    const response = await h.service.app.inject({ method: 'POST', url: '/v1/leads/batch', headers: as(erp, { 'content-type': 'application/x-ndjson' }), payload: lines.join('\n') });
    const answer = response.body.trim().split('\n').map((line) => JSON.parse(line));
    expect(answer.at(-1).summary).toEqual({ received: 2500, created: 2499, deduplicated: 1, errors: 0 });
    expect(answer.find((a) => a.index === 1500)).toMatchObject({ status: 'deduplicated', deduplicated: { leadId: answer.find((a) => a.index === 10).leadId, on: 'email' } });
    expect(await count('lead')).toBe(before + 2499);
    const tooMany = await inject('POST', '/v1/leads/batch', erp, { items: Array.from({ length: 5001 }, () => ({ channel: 'web' })) });
    expect(tooMany.statusCode).toBe(400);
    expect(await count('lead')).toBe(before + 2499);
  });

  it('keeps a dealer\'s own capture with it and hides other dealers\' leads (404, also on writes)', async () => {
    const own = await inject('POST', '/v1/leads', dealerPrincipal(dealerB), hotLead(20));
    expect(own.json().lead).toMatchObject({ dealerId: dealerB, status: 'assigned' });
    const id = own.json().leadId;
    for (const [method, url, body] of [['GET', `/v1/leads/${id}`], ['POST', `/v1/leads/${id}/accept`], ['POST', `/v1/leads/${id}/disqualify`, { reasonCode: 'spam' }]] as const) {
      const foreign = await inject(method, url, dealerPrincipal(dealerA), body);
      expect(foreign.statusCode).toBe(404);
    }
    const listA = (await inject('GET', '/v1/leads?limit=200', dealerPrincipal(dealerA))).json().items;
    expect(listA.length).toBeGreaterThan(0);
    expect(listA.every((l: { dealerId: string }) => l.dealerId === dealerA)).toBe(true);
    expect((await inject('GET', `/v1/leads/${id}`, rep('nobody'))).statusCode).toBe(404);
  });
});

describe('lifecycle', () => {
  it('accepts, refuses invalid transitions (409), records the first contact once, and recomputes the rating on change', async () => {
    const id = (await inject('POST', '/v1/leads', erp, hotLead(30))).json().leadId;
    const accepted = await inject('POST', `/v1/leads/${id}/accept`, dealerPrincipal(dealerA));
    expect(accepted.json()).toMatchObject({ status: 'accepted', acceptedAt: now.toISOString() });
    expect((await inject('POST', `/v1/leads/${id}/accept`, dealerPrincipal(dealerA))).statusCode).toBe(409);
    const future = await inject('POST', `/v1/leads/${id}/contact`, dealerPrincipal(dealerA), { at: '2030-01-01T00:00:00Z' });
    expect(future.statusCode).toBe(422);
    const badReason = await inject('POST', `/v1/leads/${id}/disqualify`, dealerPrincipal(dealerA), { reasonCode: 'because' });
    expect(badReason.statusCode).toBe(400);
    expect((await inject('GET', `/v1/leads/${id}`, admin)).json()).toMatchObject({ status: 'accepted', firstContactAt: null, disqualifyReason: null, version: accepted.json().version });
    const contacted = await inject('POST', `/v1/leads/${id}/contact`, dealerPrincipal(dealerA), {});
    expect(contacted.json()).toMatchObject({ status: 'contacted', firstContactAt: now.toISOString() });
    expect((await inject('POST', `/v1/leads/${id}/contact`, dealerPrincipal(dealerA), {})).statusCode).toBe(409);

    const current = await inject('GET', `/v1/leads/${id}`, admin);
    const noIfMatch = await inject('PATCH', `/v1/leads/${id}`, admin, { purchaseTimeframe: '1_3_months' });
    expect(noIfMatch.statusCode).toBe(428);
    const patched = await inject('PATCH', `/v1/leads/${id}`, admin, { purchaseTimeframe: '1_3_months' }, { 'if-match': current.headers.etag as string });
    expect(patched.json()).toMatchObject({ rating: 'warm', purchaseTimeframe: '1_3_months' });

    const disqualified = await inject('POST', `/v1/leads/${id}/disqualify`, admin, { reasonCode: 'bought_elsewhere' });
    expect(disqualified.json()).toMatchObject({ status: 'disqualified', disqualifyReason: 'bought_elsewhere' });
    expect((await inject('POST', `/v1/leads/${id}/disqualify`, admin, { reasonCode: 'spam' })).statusCode).toBe(409);
    await eventually('lifecycle events', async () => (['accepted', 'contacted', 'disqualified'].every((v) => eventsOf(`crm.sales.lead.${v}.v1`, id).length === 1) ? true : undefined));
  });

  it('reroutes a rejected lead to the next dealer, then to the queue, explaining each step', async () => {
    const id = (await inject('POST', '/v1/leads', erp, hotLead(40))).json().leadId;
    expect((await inject('POST', `/v1/leads/${id}/reject`, dealerPrincipal(dealerA), { reasonCode: 'capacity' })).statusCode).toBe(204);
    expect((await inject('GET', `/v1/leads/${id}`, dealerPrincipal(dealerA))).statusCode).toBe(404);
    const atB = (await inject('GET', `/v1/leads/${id}`, dealerPrincipal(dealerB))).json();
    expect(atB).toMatchObject({ dealerId: dealerB, status: 'assigned' });
    expect((await inject('POST', `/v1/leads/${id}/reject`, dealerPrincipal(dealerB), { reasonCode: 'not_our_territory' })).statusCode).toBe(204);
    const queued = (await inject('GET', `/v1/leads/${id}`, admin)).json();
    expect(queued).toMatchObject({ status: 'queued', dealerId: null });
    expect(queued.routing.map((r: { dealerId: string | null }) => r.dealerId)).toEqual([dealerA, dealerB, null]);
    expect(queued.routing[2].reason).toContain('every dealer already passed the lead on');
    expect((await inject('POST', `/v1/leads/${id}/reject`, admin, { reasonCode: 'other' })).statusCode).toBe(409);

    // An admin works the fallback queue by hand.
    expect((await inject('POST', `/v1/leads/${id}/assign`, rep('li'), { dealerId: dealerC })).statusCode).toBe(403);
    expect((await inject('POST', `/v1/leads/${id}/assign`, admin, { dealerId: dealerC, ownerSubject: 'li' })).statusCode).toBe(400);
    const assigned = await inject('POST', `/v1/leads/${id}/assign`, admin, { dealerId: dealerC, slaBusinessHours: 1 });
    expect(assigned.json()).toMatchObject({ status: 'assigned', dealerId: dealerC, slaDueAt: new Date(now.getTime() + 3_600_000).toISOString() });
    expect(assigned.json().routing.at(-1)).toMatchObject({ ruleId: null, dealerId: dealerC, reason: `assigned by staff:admin-1 → dealer ${dealerC}` });
    expect((await inject('POST', `/v1/leads/${id}/assign`, admin, { dealerId: dealerC })).statusCode).toBe(409);
    expect((await inject('GET', `/v1/leads/${id}`, dealerPrincipal(dealerC))).statusCode).toBe(200);
  });
});

describe('conversion', () => {
  it('converts through the API into the existing customer and a real opportunity in its channel\'s pipeline, once', async () => {
    const customerId = randomUUID();
    await h.knownCustomer(snapshot(customerId, { dealerId: dealerA }));
    const id = (await inject('POST', '/v1/leads', erp, hotLead(85, { productLine: 'sedan' }))).json().leadId as string;
    const body = { customerId, opportunity: { name: 'Passat for Lead 85', amount: { amount: '199000.00', currency: 'CNY' } } };
    // A lead routed to a dealer is dealer sales, and no pipeline serves that channel yet: a rule violation, the lead unchanged.
    const before = (await inject('GET', `/v1/leads/${id}`, admin)).json();
    const refused = await inject('POST', `/v1/leads/${id}/convert`, dealerPrincipal(dealerA), body);
    expect(refused.statusCode).toBe(422);
    expect((await inject('GET', `/v1/leads/${id}`, admin)).json()).toMatchObject({ status: before.status, version: before.version, opportunityId: null });
    const stages = [{ key: 'qualify', name: 'Qualify', probability: 10, forecastCategory: 'pipeline' }];
    expect((await inject('POST', '/v1/pipelines', admin, { name: `Dealer ${tag}`, channel: 'dealer', stages })).statusCode).toBe(201);
    expect((await inject('POST', `/v1/leads/${id}/convert`, dealerPrincipal(dealerB), body)).statusCode).toBe(404);

    const converted = await inject('POST', `/v1/leads/${id}/convert`, dealerPrincipal(dealerA), body);
    expect(converted.statusCode).toBe(200);
    expect(converted.json()).toMatchObject({ leadId: id, customerId, contactId: null });
    const opportunity = (await inject('GET', `/v1/opportunities/${converted.json().opportunityId}`, dealerPrincipal(dealerA))).json();
    expect(opportunity).toMatchObject({ customerId, dealerId: dealerA, name: 'Passat for Lead 85', productLine: 'sedan' });
    expect((await inject('POST', `/v1/leads/${id}/convert`, dealerPrincipal(dealerA), body)).statusCode).toBe(409);
  });

  it('creates the customer once through the customers service even when retried, and the opportunity through the port', async () => {
    const dealer = await customers.service.app.inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: `D-${tag}`, name: 'Pudong Motors' } });
    expect(dealer.statusCode).toBe(201);
    const dealerId = dealer.json().id as string;
    const email = `convert-${tag}@example.com`;
    const id = (await inject('POST', '/v1/leads', dealerPrincipal(dealerId), hotLead(80, { name: 'Zhou Min', email, productLine: 'sedan' }))).json().leadId as string;
    let failOnce = true;
    const made: Parameters<OpportunityCreator['createFromLead']>[1][] = [];
    const service = leadServiceOnTheSameDatabase({
      customers: createCustomersClient({ baseUrl: customersUrl, internalSecret: SECRET, timeoutMs: 5000 }),
      opportunities: {
        createFromLead: async (_trx, lead) => {
          if (failOnce) {
            failOnce = false;
            throw new Error('opportunity store down');
          }
          made.push(lead);
          return { opportunityId: randomUUID() };
        },
      },
    });
    const request = { newCustomerKind: 'person' as const, opportunity: { name: 'Passat for Zhou', amount: { amount: '210000.00', currency: 'CNY' } } };
    await expect(service.convert(dealerPrincipal(dealerId), id, request)).rejects.toThrow('opportunity store down');
    expect((await inject('GET', `/v1/leads/${id}`, admin)).json()).toMatchObject({ status: 'assigned', customerId: null, opportunityId: null });

    const result = await service.convert(dealerPrincipal(dealerId), id, request);
    const found = await customers.service.app.inject({ method: 'GET', url: `/v1/customers?email=${encodeURIComponent(email)}`, headers: as(admin) });
    expect(found.json().items.map((c: { id: string }) => c.id)).toEqual([result.customerId]);
    expect(found.json().items[0]).toMatchObject({ displayName: 'Zhou Min', dealerId });
    expect(made).toEqual([expect.objectContaining({ leadId: id, customerId: result.customerId, dealerId, channel: 'web', name: 'Passat for Zhou', productLine: 'sedan', amount: { amount: '210000.00', currency: 'CNY' }, by: `dealer:dealer-${dealerId}` })]);
    expect((await inject('GET', `/v1/leads/${id}`, admin)).json()).toMatchObject({ status: 'converted', customerId: result.customerId, opportunityId: result.opportunityId });
    await expect(service.convert(dealerPrincipal(dealerId), id, request)).rejects.toMatchObject({ problem: { status: 409 } });
    await eventually('converted event', async () => eventsOf('crm.sales.lead.converted.v1', id)[0]);
  });

  it("makes the lead's person a contact of the organisation it buys for, with the buying role", async () => {
    const org = await customers.service.app.inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: { kind: 'organization', displayName: `Fleet ${tag}`, organizationName: `Fleet ${tag}` } });
    const orgId = org.json().id as string;
    await h.knownCustomer(snapshot(orgId, { kind: 'organization' }));
    const id = (await inject('POST', '/v1/leads', erp, hotLead(90, { name: 'Fleet Buyer', email: `buyer-${tag}@example.com`, province: 'Nowhere' }))).json().leadId as string;
    const service = leadServiceOnTheSameDatabase({ customers: createCustomersClient({ baseUrl: customersUrl, internalSecret: SECRET, timeoutMs: 5000 }), opportunities: { createFromLead: async () => ({ opportunityId: randomUUID() }) } });
    await expect(service.convert(admin, id, { newCustomerKind: 'person', contactRole: 'purchaser', opportunity: { name: 'Fleet' } })).rejects.toMatchObject({ problem: { status: 422 } });
    const person = randomUUID();
    await h.knownCustomer(snapshot(person));
    await expect(service.convert(admin, id, { customerId: person, newCustomerKind: 'person', contactRole: 'purchaser', opportunity: { name: 'Fleet' } })).rejects.toMatchObject({ problem: { status: 422 } });
    const result = await service.convert(admin, id, { customerId: orgId, newCustomerKind: 'person', contactRole: 'purchaser', opportunity: { name: 'Fleet' } });
    expect(result).toMatchObject({ customerId: orgId, contactId: expect.any(String) });
    const contacts = (await customers.service.app.inject({ method: 'GET', url: `/v1/customers/${orgId}/contacts`, headers: as(admin) })).json().items;
    expect(contacts).toEqual([expect.objectContaining({ id: result.contactId, buyingRole: 'purchaser' })]);
  });
});

describe('first-contact SLA', () => {
  it('flags leads past due without contact, reassigns where the rule says so, and reports dealer response', async () => {
    now = new Date('2026-12-11T09:00:00Z'); // Friday 17:00 in Shanghai
    const id = (await inject('POST', '/v1/leads', erp, hotLead(60))).json().leadId;
    const lead = (await inject('GET', `/v1/leads/${id}`, admin)).json();
    expect(lead.slaDueAt).toBe('2026-12-14T02:00:00.000Z'); // Monday 10:00: one hour Friday, one Monday
    const checker = leadServiceOnTheSameDatabase();

    // Just before its due time only the older leads (due last Monday) are flagged.
    now = new Date('2026-12-14T01:59:00Z');
    await checker.checkSlas();
    expect((await inject('GET', `/v1/leads/${id}`, admin)).json()).toMatchObject({ dealerId: dealerA, slaBreachedAt: null });
    now = new Date('2026-12-14T02:01:00Z');
    const pass = await checker.checkSlas();
    expect(pass.breached).toBeGreaterThanOrEqual(1);
    const moved = (await inject('GET', `/v1/leads/${id}`, admin)).json();
    expect(moved).toMatchObject({ dealerId: dealerB, status: 'assigned', slaDueAt: '2026-12-14T04:01:00.000Z' });
    expect(moved.routing.at(-1).dealerId).toBe(dealerB);
    expect((await checker.checkSlas()).breached).toBe(0);
    await eventually('sla-breached event', async () => eventsOf('crm.sales.lead.sla-breached.v1', id)[0]);
    expect(eventsOf('crm.sales.lead.sla-breached.v1', id)[0]!.data).toMatchObject({ dealerId: dealerA, reassigned: true });

    now = new Date('2026-12-14T03:01:00Z');
    await inject('POST', `/v1/leads/${id}/contact`, dealerPrincipal(dealerB), {});
    const report = (await inject('GET', `/v1/sales-reports/lead-response?from=2026-12-01T00:00:00Z&to=2026-12-31T00:00:00Z`, admin)).json();
    const rowB = report.rows.find((r: { dealerId: string }) => r.dealerId === dealerB);
    expect(rowB).toMatchObject({ contacted: 1, medianHoursToFirstContact: 1 });
    const rowA = report.rows.find((r: { dealerId: string }) => r.dealerId === dealerA);
    expect(rowA.slaBreaches).toBeGreaterThanOrEqual(1);
    expect(rowA.accepted).toBeGreaterThanOrEqual(1);
    const forDealerB = (await inject('GET', `/v1/sales-reports/lead-response?from=2026-12-01T00:00:00Z&to=2026-12-31T00:00:00Z`, dealerPrincipal(dealerB))).json();
    expect(forDealerB.rows.every((r: { dealerId: string }) => r.dealerId === dealerB)).toBe(true);

    const hot = (await inject('GET', `/v1/leads/hot?date=2026-12-14`, dealerPrincipal(dealerB))).json();
    expect(hot.dealers).toHaveLength(1);
    expect(hot.dealers[0].leads.map((l: { id: string }) => l.id)).toContain(id);
  });
});

describe('the customers service down', () => {
  it('still captures the lead, without the match, and says so', async () => {
    await customers.service.app.close();
    const response = await inject('POST', '/v1/leads', erp, hotLead(70, { email: `known-${tag}@example.com` }));
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ outcome: 'created', customerMatch: 'unavailable' });
    expect(response.json().lead.customerId).toBeNull();
  });
});
