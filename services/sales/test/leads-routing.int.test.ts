import { randomUUID } from 'node:crypto';
import { CustomerEvents, type Principal } from '@crm/domain';
import { contactDigest, createOutbox, systemRuntime } from '@crm/platform';
import { eventually, freePort } from '@crm/testkit';
import { sql } from 'kysely';
import type { SalesDb } from '../src/db/tables';
import { createLeadService } from '../src/leads/lead.service';
import { admin, as, dealerPrincipal, erp, manager, rep, ScoringEvents, SECRET, snapshot, startSales, type SalesHarness } from './harness';

/** Round-robin among a team's reps with capacities, rating from the customer's tier, rerouting on change, customers merged and erased. */
let h: SalesHarness;
const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, principal: Principal, payload?: object, headers: Record<string, string> = {}) =>
  h.service.app.inject({ method, url, headers: as(principal, headers), ...(payload !== undefined ? { payload } : {}) });
const tag = randomUUID().slice(0, 8);
const dealerA = randomUUID();
let teamId: string;

beforeAll(async () => {
  // Nobody listens there: every capture goes on without a customer match.
  h = await startSales({ env: { CUSTOMERS_URL: `http://127.0.0.1:${await freePort()}`, SALES_SLA_CHECK_SECONDS: '3600' } });
  const team = await inject('POST', '/v1/sales-teams', admin, {
    name: `SUV ${tag}`,
    productLines: ['suv'],
    members: [
      { subject: `a-${tag}`, role: 'rep', capacity: 2 },
      { subject: `b-${tag}`, role: 'rep', capacity: 1 },
      { subject: `c-${tag}`, role: 'rep' },
      { subject: `m-${tag}`, role: 'manager' },
    ],
  });
  expect(team.statusCode).toBe(201);
  teamId = team.json().id;
  expect((await inject('POST', '/v1/lead-assignment-rules', admin, { name: 'SUV desk', position: 1, conditions: { productLines: ['suv'] }, target: 'team', teamId, slaBusinessHours: 8 })).statusCode).toBe(201);
  expect((await inject('POST', '/v1/lead-assignment-rules', admin, { name: 'VIP', position: 2, conditions: { ratings: ['hot'] }, target: 'dealers', dealerIds: [dealerA] })).statusCode).toBe(201);
  expect((await inject('POST', '/v1/lead-assignment-rules', admin, { name: 'Everything else', position: 99, conditions: {}, target: 'queue' })).statusCode).toBe(201);
  expect((await inject('POST', '/v1/lead-rating-rules', admin, { name: 'Gold customers', position: 1, rating: 'hot', conditions: { customerTiers: ['gold'] } })).statusCode).toBe(201);
});
afterAll(() => h?.close());

const suv = (n: number) => ({ channel: 'web', name: `SUV ${n}`, email: `suv-${n}-${tag}@example.com`, productLine: 'suv' });
const owners = (results: { routing: { ownerSubject: string | null } }[]) => results.map((r) => r.routing.ownerSubject?.replace(`-${tag}`, '') ?? null);

describe('round-robin', () => {
  it('hands leads to the rep whose turn it is, skips reps at capacity, and keeps the turns across batches', async () => {
    const first = (await inject('POST', '/v1/leads/batch', erp, { items: [suv(1), suv(2), suv(3)] })).json();
    expect(first.summary.errors).toBe(0);
    expect(first.results.every((r: { customerMatch: string }) => r.customerMatch === 'unavailable')).toBe(true);
    expect(owners(first.results)).toEqual(['a', 'b', 'c']);
    expect(first.results[0].routing.reason).toBe(`product line suv → team SUV ${tag}, rep a-${tag} by round-robin (1/2 open)`);
    const second = (await inject('POST', '/v1/leads/batch', erp, { items: [suv(4), suv(5), suv(6)] })).json();
    // a (1 of 2 open) is next; b is full (1 of 1); then only c has room.
    expect(owners(second.results)).toEqual(['a', 'c', 'c']);

    // A closed lead frees its rep's capacity.
    const ofB = first.results[1].leadId;
    expect((await inject('POST', `/v1/leads/${ofB}/disqualify`, rep(`b-${tag}`), { reasonCode: 'no_budget' })).statusCode).toBe(200);
    const third = (await inject('POST', '/v1/leads', erp, suv(7))).json();
    expect(third.routing.ownerSubject).toBe(`b-${tag}`);
  });

  it("shows a rep its own and its teammates' leads, a manager its team's, and nobody else (404)", async () => {
    const lead = (await inject('POST', '/v1/leads', erp, suv(8))).json();
    expect(lead.lead.ownerSubject).toBeTruthy();
    for (const principal of [rep(`a-${tag}`), rep(`c-${tag}`), manager(`m-${tag}`), admin]) expect((await inject('GET', `/v1/leads/${lead.leadId}`, principal)).statusCode).toBe(200);
    for (const principal of [rep('outsider'), manager('other-manager'), dealerPrincipal(dealerA)]) expect((await inject('GET', `/v1/leads/${lead.leadId}`, principal)).statusCode).toBe(404);
    const listed = (await inject('GET', `/v1/leads?limit=100&ownerSubject=c-${tag}`, rep(`a-${tag}`))).json().items;
    expect(listed.length).toBeGreaterThan(0);
    expect((await inject('GET', '/v1/leads?limit=100', rep('outsider'))).json().items).toEqual([]);
  });

  it('pages the list newest first with a cursor and filters it', async () => {
    const page1 = (await inject('GET', '/v1/leads?limit=3&channel=web', admin)).json();
    expect(page1.items).toHaveLength(3);
    const page2 = (await inject('GET', `/v1/leads?limit=3&channel=web&cursor=${page1.nextCursor}`, admin)).json();
    const ids = [...page1.items, ...page2.items].map((l: { id: string }) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(page1.items[0].createdAt >= page2.items[0].createdAt).toBe(true);
    expect((await inject('GET', '/v1/leads?limit=100&channel=hotline', admin)).json().items).toEqual([]);
    expect((await inject('GET', '/v1/leads?status=nonsense', admin)).statusCode).toBe(400);
  });
});

describe('rating from what is known, and routing on change', () => {
  it("rates a lead about a gold customer hot (the tier scoring announced) and routes it by that rating", async () => {
    const customerId = randomUUID();
    await h.knownCustomer(snapshot(customerId));
    await h.publish(ScoringEvents.tierChanged, { customerId, from: null, to: 'gold', reason: 'rules' });
    await eventually('the tier in sales', async () => ((await sql`select 1 from sales.customer_tier where customer_id = ${customerId}`.execute(h.db)).rows[0] ? true : undefined));
    const captured = (await inject('POST', '/v1/leads', erp, { channel: 'hotline', name: 'Gold', customerId })).json();
    expect(captured).toMatchObject({ rating: 'hot', matchedCustomer: { customerId, on: 'given' }, routing: { dealerId: dealerA } });
  });

  it('places a queued lead once a change makes a rule take it, with the change in its routing history', async () => {
    const queued = (await inject('POST', '/v1/leads', erp, { channel: 'web', name: 'Van', productLine: 'van' })).json();
    expect(queued.lead.status).toBe('queued');
    const stays = await inject('PATCH', `/v1/leads/${queued.leadId}`, admin, { city: 'Wuxi' }, { 'if-match': `"${queued.lead.version}"` });
    expect(stays.json()).toMatchObject({ status: 'queued', city: 'Wuxi' });
    expect(stays.json().routing).toHaveLength(1);
    const moved = await inject('PATCH', `/v1/leads/${queued.leadId}`, admin, { productLine: 'suv' }, { 'if-match': stays.headers.etag as string });
    expect(moved.json()).toMatchObject({ status: 'assigned', productLine: 'suv' });
    expect(moved.json().ownerSubject).toMatch(new RegExp(`-${tag}$`));
    expect(moved.json().routing).toHaveLength(2);
    const stale = await inject('PATCH', `/v1/leads/${queued.leadId}`, admin, { city: 'Suzhou' }, { 'if-match': stays.headers.etag as string });
    expect(stale.statusCode).toBe(412);
  });
});

describe('concurrent captures of one person', () => {
  it('make one lead and touches, never two leads', async () => {
    const email = `twice-${tag}@example.com`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => inject('POST', '/v1/leads', erp, { channel: 'web', email })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.json().leadId)).size).toBe(1);
    expect((await sql`select count(*)::int as n from sales.lead where email = ${email}`.execute(h.db)).rows).toEqual([{ n: 1 }]);
  });
});

describe('for activities', () => {
  it('records the first contact once (the first wins) and tells who a visible lead belongs to', async () => {
    const db = h.db.withSchema('sales') as unknown as SalesDb;
    const leads = createLeadService({ db, runtime: systemRuntime, outbox: createOutbox('/crm/sales', systemRuntime), write: (work) => db.transaction().execute(work), timeZone: 'Asia/Shanghai', customers: { match: async () => [], create: async () => randomUUID(), addContact: async () => randomUUID() }, opportunities: { createFromLead: () => Promise.reject(new Error('no opportunities in this test')) }, internalSecret: SECRET });
    const hot = (await inject('POST', '/v1/leads', dealerPrincipal(dealerA), { channel: 'dealer', name: 'Walk-in' })).json();
    const first = new Date(Date.now() - 60_000);
    await db.transaction().execute((trx) => leads.recordFirstContact(trx, hot.leadId, first));
    await db.transaction().execute((trx) => leads.recordFirstContact(trx, hot.leadId, new Date()));
    expect((await inject('GET', `/v1/leads/${hot.leadId}`, admin)).json()).toMatchObject({ status: 'contacted', firstContactAt: first.toISOString() });
    await eventually('one contacted event', async () => (h.salesEvents.some((e) => e.type === 'crm.sales.lead.contacted.v1' && (e.data as { leadId: string }).leadId === hot.leadId) ? true : undefined));
    expect(h.salesEvents.filter((e) => e.type === 'crm.sales.lead.contacted.v1' && (e.data as { leadId: string }).leadId === hot.leadId)).toHaveLength(1);

    expect(await leads.visibleParty(db, dealerPrincipal(dealerA), hot.leadId)).toEqual({ customerId: null, dealerId: dealerA, ownerSubject: null });
    expect(await leads.visibleParty(db, dealerPrincipal(randomUUID()), hot.leadId)).toBeNull();
    expect(await leads.visibleParty(db, rep('outsider'), hot.leadId)).toBeNull();
    expect(await leads.visibleParty(db, admin, randomUUID())).toBeNull();
  });
});

describe('customer lifecycle', () => {
  it("moves a merged customer's leads to the survivor, exports them, and deletes them with their history on erasure", async () => {
    const [survivor, duplicate] = [randomUUID(), randomUUID()];
    await h.knownCustomer(snapshot(survivor));
    await h.knownCustomer(snapshot(duplicate));
    const lead = (await inject('POST', '/v1/leads', erp, { channel: 'web', name: 'Zhang Wei', email: `zw-${tag}@example.com`, customerId: duplicate })).json();
    await inject('POST', '/v1/leads', erp, { channel: 'event', email: `zw-${tag}@example.com` }); // a touch on it
    await h.publish(CustomerEvents.merged, { survivorId: survivor, mergedId: duplicate, survivor: snapshot(survivor, { version: 5 }) });
    await eventually('the move', async () => ((await inject('GET', `/v1/leads/${lead.leadId}`, admin)).json().customerId === survivor ? true : undefined));
    const exported = (await inject('GET', `/v1/customers/${survivor}/personal-data`, admin)).json();
    expect(exported.sections.leads).toEqual([expect.objectContaining({ id: lead.leadId, name: 'Zhang Wei' })]);

    await h.publish(CustomerEvents.erased, { customerId: survivor, mergedIds: [duplicate] });
    await eventually('the deletion', async () => ((await inject('GET', `/v1/leads/${lead.leadId}`, admin)).statusCode === 404 ? true : undefined));
    for (const table of ['lead_touch', 'lead_routing']) {
      expect((await sql`select count(*)::int as n from ${sql.table(`sales.${table}`)} where lead_id = ${lead.leadId}`.execute(h.db)).rows).toEqual([{ n: 0 }]);
    }
  });

  it('erases the leads never linked to the person, found by the keyed digests of its e-mails and phones, and their stored answers', async () => {
    const person = randomUUID();
    await h.knownCustomer(snapshot(person));
    const email = `Unlinked.${tag}@Example.com`;
    const phone = '+8613700001234';
    const byEmail = (await inject('POST', '/v1/leads', erp, { channel: 'web', name: 'Liu Yang', email }, { 'idempotency-key': `unlinked-${tag}` })).json();
    const byPhone = (await inject('POST', '/v1/leads', erp, { channel: 'hotline', name: 'Liu Yang', phone: '+86 137 0000 1234' })).json();
    const someoneElse = (await inject('POST', '/v1/leads', erp, { channel: 'web', name: 'Other', email: `other.${tag}@example.com` })).json();
    const stored = async () => (await sql<{ n: number }>`select count(*)::int as n from sales.idempotency_key where response::text like ${`%${byEmail.leadId}%`}`.execute(h.db)).rows[0]!.n;
    expect(await stored()).toBe(1);

    // The customers service announces the erasure with the digests of the person's contact points, never the points.
    const contactDigests = [email.toLowerCase(), phone].map((point) => contactDigest(SECRET, point));
    await h.publish(CustomerEvents.erased, { customerId: person, contactDigests });
    await eventually('the unlinked leads gone', async () => ((await inject('GET', `/v1/leads/${byPhone.leadId}`, admin)).statusCode === 404 ? true : undefined));
    expect((await inject('GET', `/v1/leads/${byEmail.leadId}`, admin)).statusCode).toBe(404);
    expect((await inject('GET', `/v1/leads/${someoneElse.leadId}`, admin)).statusCode).toBe(200);
    expect(await stored()).toBe(0);
    const left = await sql<{ n: number }>`select count(*)::int as n from sales.lead where email ilike ${email} or phone = ${phone}`.execute(h.db);
    expect(left.rows[0]!.n).toBe(0);
  });
});
