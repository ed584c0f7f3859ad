import { CloudEvent, ScoringEvents } from '@crm/domain';
import { cloudEventOf, systemRuntime } from '@crm/platform';
import { eventually, readTopic } from '@crm/testkit';
import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { admin, analyst, as, dealerPrincipal, erp, startCustomers, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startCustomers();
});
afterAll(async () => {
  await h?.close();
});

const inject = (options: InjectOptions) => h.service.app.inject(options);
const countCustomers = async () => Number((await sql<{ n: string }>`select count(*) as n from customers.customer`.execute(h.db)).rows[0]?.n);
const person = (overrides: Record<string, unknown> = {}) => ({ kind: 'person', givenName: 'Li', familyName: 'Wei', ...overrides });

describe('create and read', () => {
  it('creates a customer with normalised e-mail and E.164 phone, ETag and Location', async () => {
    const res = await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person({ emails: [' Li.Wei@Example.COM '], phones: ['+86 138 0013 8000'] }) });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.emails).toEqual(['li.wei@example.com']);
    expect(body.phones).toEqual(['+8613800138000']);
    expect(body.displayName).toBe('Li Wei');
    expect(body.lifecycleStage).toBe('prospect');
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`/v1/customers/${body.id}`);
    const read = await inject({ method: 'GET', url: `/v1/customers/${body.id}`, headers: as(analyst) });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body);
  });

  it.each([
    ['an unknown field', person({ nickname: 'x' }), 'body'],
    ['a wrong type', person({ roles: 'customer' }), 'body.roles'],
    ['an invalid e-mail', person({ emails: ['not-an-email'] }), 'body.emails.0'],
    ['an invalid phone', person({ phones: ['12'] }), 'body.phones.0'],
    ['a future birthday', person({ birthDate: '2999-01-01' }), undefined],
    ['no name', { kind: 'person' }, undefined],
  ])('rejects %s with problem+json and writes nothing', async (_case, payload, field) => {
    const before = await countCustomers();
    const res = await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload });
    expect([400, 422]).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem.type).toMatch(/^urn:crm:problem:/);
    if (field) expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await countCustomers()).toBe(before);
  });

  it('rejects an oversize body with 413 and writes nothing', async () => {
    const before = await countCustomers();
    const res = await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person({ displayName: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json().type).toBe('urn:crm:problem:payload-too-large');
    expect(await countCustomers()).toBe(before);
  });

  it('rejects malformed JSON, invalid ids and unsigned calls', async () => {
    const malformed = await inject({ method: 'POST', url: '/v1/customers', headers: { ...as(admin), 'content-type': 'application/json' }, payload: '{"kind":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().type).toBe('urn:crm:problem:malformed-json');
    const badId = await inject({ method: 'GET', url: '/v1/customers/not-a-uuid', headers: as(admin) });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toBe('params.id');
    const unsigned = await inject({ method: 'GET', url: '/v1/customers' });
    expect(unsigned.statusCode).toBe(401);
    const forged = await inject({ method: 'GET', url: '/v1/customers', headers: { ...as(admin), 'x-crm-principal-signature': 'AAAA' } });
    expect(forged.statusCode).toBe(401);
  });

  it('honours Idempotency-Key: same body replays, different body is 422', async () => {
    const headers = as(erp, { 'idempotency-key': 'create-42' });
    const first = await inject({ method: 'POST', url: '/v1/customers', headers, payload: person({ givenName: 'Idem' }) });
    const before = await countCustomers();
    const again = await inject({ method: 'POST', url: '/v1/customers', headers, payload: person({ givenName: 'Idem' }) });
    expect(again.statusCode).toBe(201);
    expect(again.json().id).toBe(first.json().id);
    expect(await countCustomers()).toBe(before);
    const different = await inject({ method: 'POST', url: '/v1/customers', headers, payload: person({ givenName: 'Other' }) });
    expect(different.statusCode).toBe(422);
    expect(different.json().type).toBe('urn:crm:problem:idempotency-key-reused');
    expect(await countCustomers()).toBe(before);
  });

  it('requires If-Match on PATCH: 428 without, 412 when stale, 200 when current', async () => {
    const created = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person() })).json();
    const url = `/v1/customers/${created.id}`;
    expect((await inject({ method: 'PATCH', url, headers: as(admin), payload: { lifecycleStage: 'active' } })).statusCode).toBe(428);
    const ok = await inject({ method: 'PATCH', url, headers: as(admin, { 'if-match': '"1"' }), payload: { lifecycleStage: 'active' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().lifecycleStage).toBe('active');
    expect(ok.headers.etag).toBe('"2"');
    const stale = await inject({ method: 'PATCH', url, headers: as(admin, { 'if-match': '"1"' }), payload: { lifecycleStage: 'loyal' } });
    expect(stale.statusCode).toBe(412);
    expect((await inject({ method: 'GET', url, headers: as(admin) })).json().lifecycleStage).toBe('active');
  });
});

describe('external ids', () => {
  it('upserts idempotently by external id and finds by it', async () => {
    const url = '/v1/customers/by-external-id/erp/C-1001';
    const created = await inject({ method: 'PUT', url, headers: as(erp), payload: person({ givenName: 'Zhang', emails: ['zhang@example.com'] }) });
    expect(created.statusCode).toBe(201);
    const again = await inject({ method: 'PUT', url, headers: as(erp), payload: person({ givenName: 'Zhang', emails: ['zhang@example.com'] }) });
    expect(again.statusCode).toBe(200);
    expect(again.json().version).toBe(1);
    const changed = await inject({ method: 'PUT', url, headers: as(erp), payload: { lifecycleStage: 'active' } });
    expect(changed.json().version).toBe(2);
    expect(changed.json().emails).toEqual(['zhang@example.com']);
    const found = await inject({ method: 'GET', url: '/v1/customers?externalSystem=erp&externalId=C-1001', headers: as(admin) });
    expect(found.json().items.map((c: { id: string }) => c.id)).toEqual([created.json().id]);
    expect(found.json().items[0].externalIds).toEqual([{ system: 'erp', id: 'C-1001' }]);
  });

  it('keeps an external id with one customer', async () => {
    await inject({ method: 'PUT', url: '/v1/customers/by-external-id/erp/C-2001', headers: as(erp), payload: person() });
    const clash = await inject({ method: 'POST', url: '/v1/customers', headers: as(erp), payload: person({ externalIds: [{ system: 'erp', id: 'C-2001' }] }) });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().type).toBe('urn:crm:problem:external-id-taken');
  });
});

describe('batch upsert', () => {
  it('writes valid items, reports bad ones per item, and is idempotent', async () => {
    const items = [
      { externalId: { system: 'erp', id: 'B-1' }, customer: person({ givenName: 'B1' }) },
      { externalId: { system: 'erp', id: 'B-2' }, customer: person({ emails: ['bad'] }) },
      { externalId: { system: 'erp', id: 'B-3' }, customer: { kind: 'organization', organizationName: 'Acme Ltd' } },
      { externalId: { system: 'erp', id: 'B-1' }, customer: person({ givenName: 'again' }) },
      { customer: person({ givenName: 'NoKey' }), extra: true },
    ];
    const before = await countCustomers();
    const res = await inject({ method: 'POST', url: '/v1/customers/batch', headers: as(erp), payload: { items } });
    expect(res.statusCode).toBe(200);
    const { results, summary } = res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['created', 'error', 'created', 'error', 'error']);
    expect(results[1].error.detail).toMatch(/emails/);
    expect(results[3].error.type).toBe('urn:crm:problem:duplicate-in-batch');
    expect(summary).toEqual({ received: 5, created: 2, updated: 0, unchanged: 0, errors: 3 });
    expect(await countCustomers()).toBe(before + 2);

    const rerun = await inject({ method: 'POST', url: '/v1/customers/batch', headers: as(erp), payload: { items: [items[0], items[2]] } });
    expect(rerun.json().results.map((r: { status: string }) => r.status)).toEqual(['unchanged', 'unchanged']);
  });

  it('rejects an empty or oversize JSON batch as a whole', async () => {
    expect((await inject({ method: 'POST', url: '/v1/customers/batch', headers: as(erp), payload: { items: [] } })).statusCode).toBe(400);
    const tooMany = Array.from({ length: 5001 }, () => ({ customer: person() }));
    const res = await inject({ method: 'POST', url: '/v1/customers/batch', headers: as(erp), payload: { items: tooMany } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('body.items');
  });

  it('streams NDJSON: one result per line, malformed lines reported, summary last', async () => {
    const lines = [
      JSON.stringify({ externalId: { system: 'shop', id: 'N-1' }, customer: person({ givenName: 'N1' }) }),
      '{"externalId": {"system": "shop"',
      JSON.stringify({ externalId: { system: 'shop', id: 'N-2' }, customer: person({ givenName: 'N2' }) }),
    ];
    const res = await inject({ method: 'POST', url: '/v1/customers/batch', headers: as(erp, { 'content-type': 'application/x-ndjson' }), payload: lines.join('\n') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
    const out = res.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.slice(0, 3).map((r) => [r.index, r.status])).toEqual([[0, 'created'], [1, 'error'], [2, 'created']]);
    expect(out[1].error.type).toBe('urn:crm:problem:malformed-json');
    expect(out[3]).toEqual({ summary: { received: 3, created: 2, updated: 0, unchanged: 0, errors: 1 } });
  });
});

describe('duplicates and merge', () => {
  it('finds duplicates by e-mail and merges them with survivorship, aliasing the loser', async () => {
    const a = (await inject({ method: 'PUT', url: '/v1/customers/by-external-id/erp/M-1', headers: as(erp), payload: person({ givenName: 'Merge', familyName: 'Me', emails: ['dup@example.com'] }) })).json();
    const b = (await inject({ method: 'PUT', url: '/v1/customers/by-external-id/shop/M-2', headers: as(erp), payload: person({ givenName: 'Merge', familyName: 'Me', emails: ['DUP@example.com'], phones: ['+8613900139000'], birthDate: '1990-05-01' }) })).json();
    expect(b).toEqual(expect.objectContaining({ phones: ['+8613900139000'] }));
    const candidates = (await inject({ method: 'GET', url: `/v1/customers/${a.id}/duplicates`, headers: as(admin) })).json().items;
    expect(candidates).toEqual([expect.objectContaining({ rules: ['email'], customer: expect.objectContaining({ id: b.id }) })]);

    const self = await inject({ method: 'POST', url: `/v1/customers/${a.id}/merge`, headers: as(admin), payload: { duplicateId: a.id } });
    expect(self.statusCode).toBe(422);
    expect(self.json().type).toBe('urn:crm:problem:merge-into-self');
    expect((await inject({ method: 'POST', url: `/v1/customers/${a.id}/merge`, headers: as(erp), payload: { duplicateId: b.id } })).statusCode).toBe(403);

    const merged = await inject({ method: 'POST', url: `/v1/customers/${a.id}/merge`, headers: as(admin), payload: { duplicateId: b.id } });
    expect(merged.statusCode).toBe(200);
    const survivor = merged.json();
    expect(survivor.phones).toEqual(['+8613900139000']);
    expect(survivor.birthDate).toBe('1990-05-01');
    expect(survivor.externalIds).toEqual(expect.arrayContaining([{ system: 'erp', id: 'M-1' }, { system: 'shop', id: 'M-2' }]));

    const alias = await inject({ method: 'GET', url: `/v1/customers/${b.id}`, headers: as(admin) });
    expect(alias.statusCode).toBe(308);
    expect(alias.headers.location).toBe(`/v1/customers/${a.id}`);
    const again = await inject({ method: 'POST', url: `/v1/customers/${a.id}/merge`, headers: as(admin), payload: { duplicateId: b.id } });
    expect(again.statusCode).toBe(409);
  });
});

describe('consent, timeline, export and erasure', () => {
  it('keeps consent history, lists the timeline newest first, exports and erases', async () => {
    const c = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person({ emails: ['gdpr@example.com'] }) })).json();
    const url = `/v1/customers/${c.id}`;
    await inject({ method: 'PUT', url: `${url}/consents/sms`, headers: as(admin), payload: { granted: true, source: 'hotline' } });
    const revoked = await inject({ method: 'PUT', url: `${url}/consents/sms`, headers: as(admin), payload: { granted: false, source: 'web' } });
    expect(revoked.json().consents.sms).toEqual(expect.objectContaining({ granted: false, source: 'web' }));
    expect((await inject({ method: 'PUT', url: `${url}/consents/fax`, headers: as(admin), payload: { granted: true, source: 'x' } })).statusCode).toBe(400);

    const page1 = (await inject({ method: 'GET', url: `${url}/timeline?limit=2`, headers: as(admin) })).json();
    expect(page1.items.map((e: { type: string }) => e.type)).toEqual(['crm.customer.consent.changed.v1', 'crm.customer.consent.changed.v1']);
    const page2 = (await inject({ method: 'GET', url: `${url}/timeline?limit=2&cursor=${page1.nextCursor}`, headers: as(admin) })).json();
    expect(page2.items.map((e: { type: string }) => e.type)).toEqual(['crm.customer.created.v1']);
    expect(page2.nextCursor).toBeNull();
    const badCursor = await inject({ method: 'GET', url: `${url}/timeline?cursor=garbage`, headers: as(admin) });
    expect(badCursor.json().type).toBe('urn:crm:problem:invalid-cursor');

    const exported = (await inject({ method: 'GET', url: `${url}/export`, headers: as(admin) })).json();
    expect(exported.customer.emails).toEqual(['gdpr@example.com']);
    expect(exported.consentHistory).toHaveLength(2);

    expect((await inject({ method: 'DELETE', url, headers: as(analyst) })).statusCode).toBe(403);
    expect((await inject({ method: 'DELETE', url, headers: as(admin) })).statusCode).toBe(204);
    const gone = await inject({ method: 'GET', url, headers: as(admin) });
    expect(gone.statusCode).toBe(410);
    const { rows } = await sql<{ emails: string[]; display_name: string }>`select emails, display_name from customers.customer where id = ${c.id}`.execute(h.db);
    expect(rows[0]).toEqual({ emails: [], display_name: 'erased' });
    const d = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person() })).json();
    for (const [survivor, duplicate] of [[c.id, d.id], [d.id, c.id]]) {
      const mergeErased = await inject({ method: 'POST', url: `/v1/customers/${survivor}/merge`, headers: as(admin), payload: { duplicateId: duplicate } });
      expect(mergeErased.statusCode).toBe(410);
      expect(mergeErased.json().type).toBe('urn:crm:problem:customer-erased');
    }
    expect((await inject({ method: 'GET', url: `/v1/customers/${d.id}`, headers: as(admin) })).json().version).toBe(1);
  });
});

describe('dealer isolation (directly against the service)', () => {
  it('confines a dealer to its own customers', async () => {
    const d1 = (await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: 'SH-001', name: 'Shanghai One', city: 'Shanghai' } })).json();
    const d2 = (await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: 'BJ-001', name: 'Beijing One' } })).json();
    const own = await inject({ method: 'POST', url: '/v1/customers', headers: as(dealerPrincipal(d1.id)), payload: person({ givenName: 'Own' }) });
    expect(own.json().dealerId).toBe(d1.id);
    const other = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person({ givenName: 'Other', dealerId: d2.id }) })).json();
    const steal = await inject({ method: 'POST', url: '/v1/customers', headers: as(dealerPrincipal(d1.id)), payload: person({ dealerId: d2.id }) });
    expect(steal.statusCode).toBe(403);

    const list = (await inject({ method: 'GET', url: '/v1/customers?limit=200', headers: as(dealerPrincipal(d1.id)) })).json();
    expect(list.items.map((c: { dealerId: string }) => c.dealerId)).toEqual([d1.id]);
    expect((await inject({ method: 'GET', url: `/v1/customers/${other.id}`, headers: as(dealerPrincipal(d1.id)) })).statusCode).toBe(404);
    const patch = await inject({ method: 'PATCH', url: `/v1/customers/${other.id}`, headers: as(dealerPrincipal(d1.id), { 'if-match': '"1"' }), payload: { lifecycleStage: 'churned' } });
    expect(patch.statusCode).toBe(404);
    expect((await inject({ method: 'GET', url: `/v1/customers/${other.id}`, headers: as(admin) })).json().lifecycleStage).toBe('prospect');
  });
});

describe('timeline from other services', () => {
  it("records another service's events about the customer on its timeline", async () => {
    const c = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person({ givenName: 'Tiered' }) })).json();
    const event = cloudEventOf('/crm/scoring', systemRuntime, ScoringEvents.tierChanged, { customerId: c.id, from: 'Silver', to: 'Gold', reason: 'rules' });
    await h.bus.publish(ScoringEvents.tierChanged.topic, [{ key: c.id, value: JSON.stringify(event) }]);
    const entry = await eventually('the tier change on the timeline', async () => {
      const page = (await inject({ method: 'GET', url: `/v1/customers/${c.id}/timeline`, headers: as(admin) })).json();
      return page.items.find((e: { type: string }) => e.type === 'crm.scoring.tier-changed.v1');
    });
    expect(entry).toEqual(expect.objectContaining({ source: '/crm/scoring', data: expect.objectContaining({ from: 'Silver', to: 'Gold' }) }));
  });
});

describe('events', () => {
  it('publishes CloudEvents on the real topic, keyed by customer id', async () => {
    const c = (await inject({ method: 'PUT', url: '/v1/customers/by-external-id/erp/EV-1', headers: as(erp), payload: person({ givenName: 'Event' }) })).json();
    await inject({ method: 'PATCH', url: `/v1/customers/${c.id}`, headers: as(erp, { 'if-match': '"1"' }), payload: { lifecycleStage: 'active' } });
    const messages = await readTopic(`${h.topicPrefix}crm.customers`, { until: (ms) => ms.filter((m) => m.key?.toString() === c.id).length >= 2 });
    const events = messages.map((m) => CloudEvent.parse(JSON.parse(m.value!.toString()))).filter((e) => e.subject === c.id);
    expect(events.map((e) => e.type)).toEqual(['crm.customer.created.v1', 'crm.customer.updated.v1']);
    expect(events[1]!.data).toEqual(expect.objectContaining({ changedFields: ['lifecycleStage'] }));
    expect(messages.filter((m) => m.key?.toString() === c.id)).toHaveLength(2);
    expect(events[0]!.source).toBe('/crm/customers');
  });
});
