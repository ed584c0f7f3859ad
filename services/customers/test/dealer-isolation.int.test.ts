import { randomUUID } from 'node:crypto';
import { CloudEvent, type Principal } from '@crm/domain';
import { readTopic } from '@crm/testkit';
import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { admin, as, dealerPrincipal, erp, startCustomers, type Harness } from './harness';

/**
 * Dealer write isolation in customers (issue 7 §1.2–1.4, ADR 0008), directly against the service
 * with signed principals: dealers A and B, staff, and the ERP integration.
 */
let h: Harness;
const inject = (options: InjectOptions) => h.service.app.inject(options);
const person = (overrides: Record<string, unknown> = {}) => ({ kind: 'person', givenName: 'Li', familyName: 'Wei', ...overrides });
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

let dealerA: string;
let dealerB: string;
let A: Principal;
let B: Principal;
/** Customers: A's person and organization, B's person and organization. */
let personA: { id: string };
let orgA: { id: string };
let personB: { id: string; version: number };
let orgB: { id: string };

const read = async (id: string, principal: Principal = admin) => (await inject({ method: 'GET', url: `/v1/customers/${id}`, headers: as(principal) })).json();
const putByExternalId = (system: string, id: string, principal: Principal, body: object = {}) =>
  inject({ method: 'PUT', url: `/v1/customers/by-external-id/${system}/${id}`, headers: as(principal), payload: body });
/** The state of a customer a dealer must not be able to touch: row and every child table. */
const stateOf = async (id: string) => ({
  customer: (await sql`select * from customers.customer where id = ${id}`.execute(h.db)).rows,
  externalIds: (await sql`select namespace, system, external_id from customers.external_id where customer_id = ${id} order by 1, 2, 3`.execute(h.db)).rows,
  consents: (await sql`select channel, granted from customers.consent where customer_id = ${id} order by id`.execute(h.db)).rows,
  contacts: (await sql`select id from customers.contact where organization_id = ${id} or person_id = ${id} order by id`.execute(h.db)).rows,
  timeline: (await sql`select id from customers.timeline_entry where customer_id = ${id} order by id`.execute(h.db)).rows,
});

beforeAll(async () => {
  h = await startCustomers();
  dealerA = (await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: 'A-001', name: 'Dealer A' } })).json().id;
  dealerB = (await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: 'B-001', name: 'Dealer B' } })).json().id;
  A = dealerPrincipal(dealerA);
  B = dealerPrincipal(dealerB);
  const create = async (principal: Principal, body: object) => (await inject({ method: 'POST', url: '/v1/customers', headers: as(principal), payload: body })).json();
  personA = await create(A, person({ givenName: 'Ann', emails: ['same@example.com'] }));
  orgA = await create(A, { kind: 'organization', organizationName: 'A Motors' });
  personB = await create(B, person({ givenName: 'Bob', emails: ['same@example.com'] }));
  orgB = await create(B, { kind: 'organization', organizationName: 'B Motors' });
  await inject({ method: 'POST', url: `/v1/customers/${orgB.id}/contacts`, headers: as(B), payload: { personId: personB.id, buyingRole: 'purchaser' } });
});
afterAll(async () => {
  await h?.close();
});

describe("another dealer's customer is a 404, word for word the same as an unknown one", () => {
  const routes: [string, (id: string) => InjectOptions][] = [
    ['read', (id) => ({ method: 'GET', url: `/v1/customers/${id}` })],
    ['PATCH', (id) => ({ method: 'PATCH', url: `/v1/customers/${id}`, headers: { 'if-match': '"1"' }, payload: { lifecycleStage: 'churned' } })],
    ['PATCH with If-Match *', (id) => ({ method: 'PATCH', url: `/v1/customers/${id}`, headers: { 'if-match': '*' }, payload: { externalIds: [{ system: 'erp', id: 'STEAL' }] } })],
    ['consent', (id) => ({ method: 'PUT', url: `/v1/customers/${id}/consents/email`, payload: { granted: false, source: 'portal' } })],
    ['add a contact to', (id) => ({ method: 'POST', url: `/v1/customers/${id}/contacts`, payload: { personId: personA.id, buyingRole: 'user' } })],
    ['add as a contact', (id) => ({ method: 'POST', url: `/v1/customers/${orgA.id}/contacts`, payload: { personId: id, buyingRole: 'user' } })],
    ['contacts', (id) => ({ method: 'GET', url: `/v1/customers/${id}/contacts` })],
    ['duplicates', (id) => ({ method: 'GET', url: `/v1/customers/${id}/duplicates` })],
    ['timeline', (id) => ({ method: 'GET', url: `/v1/customers/${id}/timeline` })],
    ['export', (id) => ({ method: 'GET', url: `/v1/customers/${id}/export` })],
  ];

  it.each(routes)('%s', async (_, route) => {
    const before = await stateOf(personB.id);
    const unknownId = randomUUID();
    const call = (id: string) => {
      const options = route(id);
      return inject({ ...options, headers: as(A, (options.headers ?? {}) as Record<string, string>) });
    };
    const foreign = await call(personB.id);
    const unknown = await call(unknownId);
    expect([foreign.statusCode, unknown.statusCode]).toEqual([404, 404]);
    expect(foreign.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(foreign.body).toBe(unknown.body.replaceAll(unknownId, personB.id));
    expect(await stateOf(personB.id)).toEqual(before);
  });

  it('in a batch: the item fails alone with the same not-found, nothing of B changes', async () => {
    const before = await stateOf(personB.id);
    const unknownId = randomUUID();
    const res = await inject({
      method: 'POST',
      url: '/v1/customers/batch',
      headers: as(A),
      payload: { items: [{ id: personB.id, customer: { lifecycleStage: 'churned' } }, { id: unknownId, customer: { lifecycleStage: 'churned' } }, { customer: person({ givenName: 'Fine' }) }] },
    });
    const [foreign, unknown, fine] = res.json().results;
    expect(foreign.error.type).toBe('urn:crm:problem:not-found');
    expect({ ...foreign, index: 1, error: { ...foreign.error, detail: foreign.error.detail.replace(personB.id, unknownId) } }).toEqual(unknown);
    expect(fine.status).toBe('created');
    expect(await stateOf(personB.id)).toEqual(before);
  });

  it('keeps a 403 only where the principal kind may not act at all (erase, merge), for its own customers too', async () => {
    for (const id of [personA.id, personB.id]) {
      expect((await inject({ method: 'DELETE', url: `/v1/customers/${id}`, headers: as(A) })).statusCode).toBe(403);
      expect((await inject({ method: 'POST', url: `/v1/customers/${id}/merge`, headers: as(A), payload: { duplicateId: orgA.id } })).statusCode).toBe(403);
    }
  });

  it("never names another dealer's customer: duplicates, contacts and search stay within the dealer", async () => {
    const duplicates = (await inject({ method: 'GET', url: `/v1/customers/${personA.id}/duplicates`, headers: as(A) })).json();
    expect(duplicates.items).toEqual([]);
    const staffView = (await inject({ method: 'GET', url: `/v1/customers/${personA.id}/duplicates`, headers: as(admin) })).json();
    expect(staffView.items.map((d: { customer: { id: string } }) => d.customer.id)).toEqual([personB.id]);
    // Staff link B's person to A's organization: A sees the organization, not the other dealer's contact.
    await inject({ method: 'POST', url: `/v1/customers/${orgA.id}/contacts`, headers: as(admin), payload: { personId: personB.id, buyingRole: 'influencer' } });
    await inject({ method: 'POST', url: `/v1/customers/${orgA.id}/contacts`, headers: as(A), payload: { personId: personA.id, buyingRole: 'purchaser' } });
    const contacts = await inject({ method: 'GET', url: `/v1/customers/${orgA.id}/contacts`, headers: as(A) });
    expect(contacts.json().items.map((c: { personId: string }) => c.personId)).toEqual([personA.id]);
    expect(contacts.body).not.toContain(personB.id);
    expect((await inject({ method: 'GET', url: `/v1/customers/${orgA.id}/contacts`, headers: as(admin) })).json().items).toHaveLength(2);
    // The organization's timeline and export mention the contact; for A its id is blanked, for staff it stays.
    for (const path of ['timeline', 'export']) {
      const dealers = await inject({ method: 'GET', url: `/v1/customers/${orgA.id}/${path}`, headers: as(A) });
      expect(dealers.statusCode).toBe(200);
      expect(dealers.body).not.toContain(personB.id);
      expect(dealers.body).toContain(personA.id);
      expect((await inject({ method: 'GET', url: `/v1/customers/${orgA.id}/${path}`, headers: as(admin) })).body).toContain(personB.id);
    }
  });

  it('answers a customer merged into another dealer\'s survivor as not found, never with the survivor\'s id', async () => {
    const duplicate = (await inject({ method: 'POST', url: '/v1/customers', headers: as(A), payload: person({ givenName: 'Dup' }) })).json();
    const survivor = (await inject({ method: 'POST', url: '/v1/customers', headers: as(B), payload: person({ givenName: 'Dup' }) })).json();
    expect((await inject({ method: 'POST', url: `/v1/customers/${survivor.id}/merge`, headers: as(admin), payload: { duplicateId: duplicate.id } })).statusCode).toBe(200);
    // Staff are redirected to the survivor as before.
    const staff = await inject({ method: 'GET', url: `/v1/customers/${duplicate.id}`, headers: as(admin) });
    expect(staff.statusCode).toBe(308);
    expect(staff.headers.location).toBe(`/v1/customers/${survivor.id}`);
    const calls: InjectOptions[] = [
      { method: 'GET', url: `/v1/customers/${duplicate.id}` },
      { method: 'GET', url: `/v1/customers/${duplicate.id}/timeline` },
      { method: 'PATCH', url: `/v1/customers/${duplicate.id}`, headers: { 'if-match': '*' }, payload: { lifecycleStage: 'churned' } },
      { method: 'PUT', url: `/v1/customers/${duplicate.id}/consents/sms`, payload: { granted: true, source: 'portal' } },
      { method: 'POST', url: '/v1/customers/batch', payload: { items: [{ id: duplicate.id, customer: { lifecycleStage: 'churned' } }] } },
    ];
    for (const call of calls) {
      const res = await inject({ ...call, headers: as(A, (call.headers ?? {}) as Record<string, string>) });
      expect(res.body).not.toContain(survivor.id);
      expect(res.headers.location).toBeUndefined();
      if (call.url === '/v1/customers/batch') expect(res.json().results[0].error.type).toBe('urn:crm:problem:not-found');
      else expect(res.statusCode).toBe(404);
    }
  });
});

describe('external-id namespaces', () => {
  it("keeps the ERP's erp/C-1001 and a dealer's erp/C-1001 apart, both ways", async () => {
    // The ERP's customer, assigned to dealer B.
    const erpRecord = await putByExternalId('erp', 'C-1001', erp, person({ givenName: 'Erp', dealerId: dealerB }));
    expect(erpRecord.statusCode).toBe(201);
    const erpId = erpRecord.json().id;
    const erpBefore = await stateOf(erpId);

    // Dealer A's upsert of erp/C-1001 never lands on the ERP's record of B's customer: A gets its own customer.
    const dealers = await putByExternalId('erp', 'C-1001', A, person({ givenName: 'Dealer' }));
    expect(dealers.statusCode).toBe(201);
    const dealersId = dealers.json().id;
    expect(dealersId).not.toBe(erpId);
    expect(dealers.json()).toEqual(expect.objectContaining({ dealerId: dealerA, externalIds: [{ system: 'erp', id: 'C-1001', namespace: `dealer:${dealerA}` }] }));
    expect(await stateOf(erpId)).toEqual(erpBefore);

    // The ERP's later upsert lands on its own record, never on the dealer's.
    const dealerBefore = await stateOf(dealersId);
    const again = await putByExternalId('erp', 'C-1001', erp, { lifecycleStage: 'active' });
    expect([again.statusCode, again.json().id]).toEqual([200, erpId]);
    expect(await stateOf(dealersId)).toEqual(dealerBefore);
    // And the dealer's next upsert lands on the dealer's.
    const dealerAgain = await putByExternalId('erp', 'C-1001', A, { lifecycleStage: 'active' });
    expect([dealerAgain.statusCode, dealerAgain.json().id]).toEqual([200, dealersId]);

    // B reads the shared id of its own customer (read-only): its upsert updates that customer, claims nothing new.
    const bUpsert = await putByExternalId('erp', 'C-1001', B, { lifecycleStage: 'churned' });
    expect([bUpsert.statusCode, bUpsert.json().id]).toEqual([200, erpId]);
    expect(bUpsert.json().externalIds).toEqual([{ system: 'erp', id: 'C-1001' }]);

    // Search by external id: each dealer in its own namespace and its customers' shared ids; staff see both.
    const search = async (principal: Principal) =>
      ((await inject({ method: 'GET', url: '/v1/customers?externalSystem=erp&externalId=C-1001', headers: as(principal) })).json().items as { id: string }[]).map((c) => c.id).sort();
    expect(await search(A)).toEqual([dealersId]);
    expect(await search(B)).toEqual([erpId]);
    expect(await search(admin)).toEqual([erpId, dealersId].sort());
  });

  it("lets an ERP create its own record for an id a dealer created first, and a dealer claim only in its namespace", async () => {
    const first = (await inject({ method: 'POST', url: '/v1/customers', headers: as(A), payload: person({ givenName: 'First', externalIds: [{ system: 'erp', id: 'C-2002' }] }) })).json();
    // The answer and the created event name the dealer's namespace (scoring's projection keeps it).
    expect(first.externalIds).toEqual([{ system: 'erp', id: 'C-2002', namespace: `dealer:${dealerA}` }]);
    const messages = await readTopic(`${h.topicPrefix}crm.customers`, { until: (ms) => ms.some((m) => m.key?.toString() === first.id) });
    const created = messages.map((m) => CloudEvent.parse(JSON.parse(m.value!.toString()))).find((e) => e.subject === first.id);
    expect((created?.data as { customer: { externalIds: unknown } }).customer.externalIds).toEqual([{ system: 'erp', id: 'C-2002', namespace: `dealer:${dealerA}` }]);
    const before = await stateOf(first.id);
    const erps = await putByExternalId('erp', 'C-2002', erp, person({ givenName: 'Erp Two' }));
    expect(erps.statusCode).toBe(201);
    expect(erps.json().id).not.toBe(first.id);
    expect(await stateOf(first.id)).toEqual(before);

    // A claim of an id taken in the dealer's own namespace is a 409 that names no customer.
    const other = (await inject({ method: 'POST', url: '/v1/customers', headers: as(A), payload: person({ givenName: 'Other' }) })).json();
    const taken = await inject({ method: 'PATCH', url: `/v1/customers/${other.id}`, headers: as(A, { 'if-match': '*' }), payload: { externalIds: [{ system: 'erp', id: 'C-2002' }] } });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().type).toBe('urn:crm:problem:external-id-taken');
    expect(taken.json().detail.match(UUID)).toBeNull();
    // Dealer B claims the same pair freely: its namespace is its own.
    const bClaim = await inject({ method: 'POST', url: '/v1/customers', headers: as(B), payload: person({ givenName: 'B Two', externalIds: [{ system: 'erp', id: 'C-2002' }] }) });
    expect(bClaim.statusCode).toBe(201);
    const rows = await sql<{ namespace: string; customer_id: string }>`
      select namespace, customer_id from customers.external_id where system = 'erp' and external_id = 'C-2002' order by namespace`.execute(h.db);
    expect(rows.rows).toEqual(
      [
        { namespace: `dealer:${dealerA}`, customer_id: first.id },
        { namespace: `dealer:${dealerB}`, customer_id: bClaim.json().id },
        { namespace: 'shared', customer_id: erps.json().id },
      ].sort((x, y) => (x.namespace < y.namespace ? -1 : 1)),
    );
  });

  it('resolves batch items by external id in the dealer namespace', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/customers/batch',
      headers: as(A),
      payload: { items: [{ externalId: { system: 'erp', id: 'C-1001' }, customer: { lifecycleStage: 'churned' } }, { externalId: { system: 'erp', id: 'C-3003' }, customer: person({ givenName: 'New' }) }] },
    });
    const [known, created] = res.json().results;
    expect(known.status).toBe('updated');
    expect((await read(known.id)).dealerId).toBe(dealerA);
    expect(created.status).toBe('created');
    expect((await read(created.id)).externalIds).toEqual([{ system: 'erp', id: 'C-3003', namespace: `dealer:${dealerA}` }]);
  });
});

describe('a customer moved to another dealer', () => {
  it("keeps the old dealer's own external id unusable for it, without naming the customer", async () => {
    const moved = (await inject({ method: 'POST', url: '/v1/customers', headers: as(A), payload: person({ givenName: 'Moving', externalIds: [{ system: 'crm-portal', id: 'M-1' }] }) })).json();
    expect((await inject({ method: 'PATCH', url: `/v1/customers/${moved.id}`, headers: as(admin, { 'if-match': '*' }), payload: { dealerId: dealerB } })).statusCode).toBe(200);
    const before = await stateOf(moved.id);
    const res = await putByExternalId('crm-portal', 'M-1', A, { lifecycleStage: 'churned' });
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe('urn:crm:problem:external-id-taken');
    expect(res.body.match(UUID)).toBeNull();
    expect(await stateOf(moved.id)).toEqual(before);
    expect((await inject({ method: 'GET', url: `/v1/customers/${moved.id}`, headers: as(A) })).statusCode).toBe(404);
  });
});

describe('idempotency scopes', () => {
  it('never replays one principal kind or dealer its stored answer to another with the same subject and key', async () => {
    const samePortal = (dealerId: string): Principal => ({ kind: 'dealer', subject: 'portal', dealerId });
    const staffPortal: Principal = { kind: 'staff', subject: 'portal', roles: ['sales'] };
    const create = (principal: Principal) =>
      inject({ method: 'POST', url: '/v1/customers', headers: as(principal, { 'idempotency-key': 'key-1' }), payload: person({ givenName: 'Same' }) });
    const a = await create(samePortal(dealerA));
    const b = await create(samePortal(dealerB));
    const staff = await create(staffPortal);
    expect([a.statusCode, b.statusCode, staff.statusCode]).toEqual([201, 201, 201]);
    expect(new Set([a.json().id, b.json().id, staff.json().id]).size).toBe(3);
    expect([a.json().dealerId, b.json().dealerId, staff.json().dealerId]).toEqual([dealerA, dealerB, null]);
    // The same caller again is a replay, as before.
    expect((await create(samePortal(dealerA))).json().id).toBe(a.json().id);
  });
});
