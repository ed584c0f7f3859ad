import type { InjectOptions } from 'light-my-request';
import { admin, analyst, as, dealerPrincipal, erp, startCustomers, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startCustomers();
});
afterAll(async () => {
  await h?.close();
});
const inject = (options: InjectOptions) => h.service.app.inject(options);

describe('dealers', () => {
  it('creates, reads, lists and changes dealers with ETags; only admins write', async () => {
    const created = await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin, { 'idempotency-key': 'd-1' }), payload: { code: 'GZ-001', name: 'Guangzhou One', city: 'Guangzhou' } });
    expect(created.statusCode).toBe(201);
    const dealer = created.json();
    const replay = await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin, { 'idempotency-key': 'd-1' }), payload: { code: 'GZ-001', name: 'Guangzhou One', city: 'Guangzhou' } });
    expect(replay.json().id).toBe(dealer.id);
    expect((await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: 'GZ-001', name: 'Again' } })).statusCode).toBe(409);
    expect((await inject({ method: 'POST', url: '/v1/dealers', headers: as(erp), payload: { code: 'X-1', name: 'x' } })).statusCode).toBe(403);
    expect((await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: 'bad code!', name: 'x' } })).json().errors[0].field).toBe('body.code');

    const url = `/v1/dealers/${dealer.id}`;
    expect((await inject({ method: 'PATCH', url, headers: as(admin), payload: { name: 'Renamed' } })).statusCode).toBe(428);
    const renamed = await inject({ method: 'PATCH', url, headers: as(admin, { 'if-match': '"1"' }), payload: { name: 'Renamed' } });
    expect(renamed.json()).toEqual(expect.objectContaining({ name: 'Renamed', version: 2 }));
    expect((await inject({ method: 'PATCH', url, headers: as(admin, { 'if-match': '"1"' }), payload: { name: 'Stale' } })).statusCode).toBe(412);

    const second = (await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: 'HZ-001', name: 'Hangzhou One' } })).json();
    const page1 = (await inject({ method: 'GET', url: '/v1/dealers?limit=1', headers: as(analyst) })).json();
    const page2 = (await inject({ method: 'GET', url: `/v1/dealers?limit=1&cursor=${page1.nextCursor}`, headers: as(analyst) })).json();
    expect([...page1.items, ...page2.items].map((d: { code: string }) => d.code)).toEqual(['GZ-001', 'HZ-001']);
    // A dealer sees itself only.
    const own = await inject({ method: 'GET', url: '/v1/dealers', headers: as(dealerPrincipal(second.id)) });
    expect(own.json().items.map((d: { id: string }) => d.id)).toEqual([second.id]);
    expect((await inject({ method: 'GET', url, headers: as(dealerPrincipal(second.id)) })).statusCode).toBe(404);
  });
});

describe('custom attributes', () => {
  it('accepts only defined attributes with values of their type', async () => {
    const defined = await inject({ method: 'POST', url: '/v1/attribute-definitions', headers: as(admin), payload: { name: 'fleetSize', type: 'number' } });
    expect(defined.statusCode).toBe(201);
    await inject({ method: 'POST', url: '/v1/attribute-definitions', headers: as(admin), payload: { name: 'segment', type: 'enum', allowedValues: ['retail', 'fleet'] } });
    expect((await inject({ method: 'POST', url: '/v1/attribute-definitions', headers: as(admin), payload: { name: 'tier', type: 'enum' } })).json().errors[0].field).toBe('body.allowedValues');
    expect((await inject({ method: 'POST', url: '/v1/attribute-definitions', headers: as(admin), payload: { name: 'segment', type: 'string' } })).statusCode).toBe(409);
    expect((await inject({ method: 'POST', url: '/v1/attribute-definitions', headers: as(erp), payload: { name: 'x', type: 'string' } })).statusCode).toBe(403);

    const ok = await inject({ method: 'POST', url: '/v1/customers', headers: as(erp), payload: { kind: 'organization', organizationName: 'Fleet Co', attributes: { fleetSize: 40, segment: 'fleet' } } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().attributes).toEqual({ fleetSize: 40, segment: 'fleet' });
    for (const attributes of [{ colour: 'red' }, { fleetSize: 'forty' }, { segment: 'wholesale' }]) {
      const bad = await inject({ method: 'POST', url: '/v1/customers', headers: as(erp), payload: { kind: 'organization', organizationName: 'Bad Co', attributes } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().detail).toMatch(new RegExp(`attributes\\.${Object.keys(attributes)[0]}`));
    }
    const widened = await inject({ method: 'PATCH', url: '/v1/attribute-definitions/segment', headers: as(admin, { 'if-match': '"1"' }), payload: { allowedValues: ['retail', 'fleet', 'wholesale'] } });
    expect(widened.json().allowedValues).toEqual(['retail', 'fleet', 'wholesale']);
    expect((await inject({ method: 'POST', url: '/v1/customers', headers: as(erp), payload: { kind: 'organization', organizationName: 'Now Ok', attributes: { segment: 'wholesale' } } })).statusCode).toBe(201);
  });
});

describe('contacts', () => {
  it("maps an organization's contacts with their buying roles", async () => {
    const org = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: { kind: 'organization', organizationName: 'Dell Premier Co' } })).json();
    const person = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: { kind: 'person', givenName: 'Buyer' } })).json();
    const url = `/v1/customers/${org.id}/contacts`;
    const added = await inject({ method: 'POST', url, headers: as(admin), payload: { personId: person.id, buyingRole: 'decision_maker', jobTitle: 'CIO' } });
    expect(added.statusCode).toBe(201);
    expect((await inject({ method: 'POST', url, headers: as(admin), payload: { personId: person.id, buyingRole: 'decision_maker' } })).statusCode).toBe(409);
    expect((await inject({ method: 'POST', url, headers: as(admin), payload: { personId: person.id, buyingRole: 'boss' } })).statusCode).toBe(400);
    const reversed = await inject({ method: 'POST', url: `/v1/customers/${person.id}/contacts`, headers: as(admin), payload: { personId: org.id, buyingRole: 'user' } });
    expect(reversed.json().type).toBe('urn:crm:problem:not-an-organization');
    const list = (await inject({ method: 'GET', url, headers: as(analyst) })).json();
    expect(list.items).toEqual([expect.objectContaining({ personId: person.id, buyingRole: 'decision_maker', jobTitle: 'CIO' })]);
    const timeline = (await inject({ method: 'GET', url: `/v1/customers/${org.id}/timeline`, headers: as(analyst) })).json();
    expect(timeline.items[0].data.changedFields).toEqual(['contacts']);
  });
});

describe('search', () => {
  it('filters by name prefix, e-mail, phone, role and lifecycle stage, paginating by cursor', async () => {
    const make = (payload: Record<string, unknown>) => inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: { kind: 'person', ...payload } });
    await make({ givenName: 'Zhuang', familyName: 'Search', emails: ['zs@example.com'], roles: ['customer'], lifecycleStage: 'loyal' });
    await make({ givenName: 'Zhuo', familyName: 'Search', phones: ['+8613911112222'], roles: ['prospect'] });
    await make({ givenName: 'Other', familyName: 'Person' });
    const names = async (query: string) =>
      (await inject({ method: 'GET', url: `/v1/customers?${query}`, headers: as(analyst) })).json().items.map((c: { displayName: string }) => c.displayName).sort();
    expect(await names('q=zhu')).toEqual(['Zhuang Search', 'Zhuo Search']);
    expect(await names('email=ZS@example.com')).toEqual(['Zhuang Search']);
    expect(await names('phone=%2B86%20139%201111%202222')).toEqual(['Zhuo Search']);
    expect(await names('q=zhu&role=customer')).toEqual(['Zhuang Search']);
    expect(await names('q=zhu&lifecycleStage=loyal')).toEqual(['Zhuang Search']);
    const first = (await inject({ method: 'GET', url: '/v1/customers?q=zhu&limit=1', headers: as(analyst) })).json();
    const second = (await inject({ method: 'GET', url: `/v1/customers?q=zhu&limit=1&cursor=${first.nextCursor}`, headers: as(analyst) })).json();
    expect(new Set([first.items[0].id, second.items[0].id]).size).toBe(2);
    expect(second.nextCursor).toBeNull();
    expect((await inject({ method: 'GET', url: '/v1/customers?externalSystem=erp', headers: as(analyst) })).statusCode).toBe(400);
    expect((await inject({ method: 'GET', url: '/v1/customers?limit=0', headers: as(analyst) })).statusCode).toBe(400);
  });
});
