import { randomUUID } from 'node:crypto';
import { CustomerEvents, ScoringEvents } from '@crm/domain';
import { customerDirectory } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { teamRepository } from '../src/teams/team.repository';
import { admin, as, dealerPrincipal, rep, snapshot, startSales, type SalesHarness } from './harness';

let h: SalesHarness;
beforeAll(async () => {
  h = await startSales();
});
afterAll(() => h.close());

const createTeam = (payload: unknown, principal = admin) => h.service.app.inject({ method: 'POST', url: '/v1/sales-teams', headers: as(principal), payload: payload as object });

describe('sales teams', () => {
  it('creates a team with its members, answers it with an ETag, and lets teammates see each other', async () => {
    const res = await createTeam({ name: 'East', productLines: ['SUV'], members: [{ subject: 'li', role: 'rep', capacity: 5 }, { subject: 'wang', role: 'manager' }] });
    expect(res.statusCode).toBe(201);
    const team = res.json();
    expect(team).toMatchObject({ name: 'East', productLines: ['SUV'], version: 1 });
    expect(team.members).toEqual([{ subject: 'li', role: 'rep', capacity: 5 }, { subject: 'wang', role: 'manager', capacity: null }]);
    expect(res.headers.location).toBe(`/v1/sales-teams/${team.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect((await teamRepository.visibleSubjects(h.db.withSchema('sales') as never, 'li')).sort()).toEqual(['li', 'wang']);
    expect(await teamRepository.visibleSubjects(h.db.withSchema('sales') as never, 'stranger')).toEqual(['stranger']);
  });

  it('replaces members only with the current If-Match, and explains a missing one', async () => {
    const team = (await createTeam({ name: 'West', members: [{ subject: 'zhao', role: 'rep' }] })).json();
    const missing = await h.service.app.inject({ method: 'PATCH', url: `/v1/sales-teams/${team.id}`, headers: as(admin), payload: { members: [] } });
    expect(missing.statusCode).toBe(428);
    const stale = await h.service.app.inject({ method: 'PATCH', url: `/v1/sales-teams/${team.id}`, headers: as(admin, { 'if-match': '"7"' }), payload: { members: [] } });
    expect(stale.statusCode).toBe(412);
    const done = await h.service.app.inject({ method: 'PATCH', url: `/v1/sales-teams/${team.id}`, headers: as(admin, { 'if-match': '"1"' }), payload: { members: [{ subject: 'qian', role: 'rep' }] } });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ version: 2, members: [{ subject: 'qian', role: 'rep', capacity: null }] });
  });

  it('refuses bad input with problem+json and writes nothing', async () => {
    const before = (await h.service.app.inject({ method: 'GET', url: '/v1/sales-teams?limit=200', headers: as(admin) })).json().items.length;
    for (const payload of [{}, { name: '' }, { name: 'T', members: [{ subject: 'a', role: 'boss' }] }, { name: 'T', members: [{ subject: 'a', role: 'rep' }, { subject: 'a', role: 'manager' }] }, { name: 'T', extra: 1 }]) {
      const res = await createTeam(payload);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await h.service.app.inject({ method: 'GET', url: '/v1/sales-teams?limit=200', headers: as(admin) })).json().items).toHaveLength(before);
  });

  it('keeps teams to admins (writes) and sales staff (reads); dealers get 403', async () => {
    expect((await createTeam({ name: 'Rogue' }, rep('li'))).statusCode).toBe(403);
    expect((await h.service.app.inject({ method: 'GET', url: '/v1/sales-teams', headers: as(rep('li')) })).statusCode).toBe(200);
    expect((await h.service.app.inject({ method: 'GET', url: '/v1/sales-teams', headers: as(dealerPrincipal(randomUUID())) })).statusCode).toBe(403);
    // Unsigned: the route needs the gateway's signed principal.
    expect((await h.service.app.inject({ method: 'GET', url: '/v1/sales-teams' })).statusCode).toBe(401);
  });
});

describe('the customer directory', () => {
  it('follows customers, their tiers, merges and erasures from the real topics', async () => {
    const db = h.db.withSchema('sales');
    const [a, b] = [randomUUID(), randomUUID()];
    await h.knownCustomer(snapshot(a, { city: 'Hangzhou' }));
    await h.knownCustomer(snapshot(b));
    await h.publish(ScoringEvents.tierChanged, { customerId: a, from: null, to: 'gold', reason: 'rules' });
    await eventually('the tier', async () => (await db.selectFrom('customer_tier' as never).selectAll().where('customer_id' as never, '=', a as never).executeTakeFirst()) ?? undefined);
    await h.publish(CustomerEvents.merged, { survivorId: b, mergedId: a, survivor: snapshot(b, { version: 2 }) });
    await eventually('the merge', async () => ((await customerDirectory.finalSurvivorOf(db, a)) === b ? true : undefined));
    expect(await customerDirectory.find(db, a)).toBeUndefined();
    await h.publish(CustomerEvents.erased, { customerId: b, mergedIds: [a] });
    await eventually('the erasure', async () => ((await customerDirectory.isErased(db, b)) ? true : undefined));
    expect(await customerDirectory.find(db, b)).toBeUndefined();
    expect(await customerDirectory.isErased(db, a)).toBe(true);
    expect(await db.selectFrom('customer_tier' as never).selectAll().where('customer_id' as never, 'in', [a, b] as never).execute()).toEqual([]);
    // A late update of the erased person never brings it back.
    await h.publish(CustomerEvents.updated, { customer: snapshot(b, { version: 9 }), changedFields: ['city'] });
    await h.knownCustomer(snapshot(randomUUID()));
    expect(await customerDirectory.find(db, b)).toBeUndefined();
  });
});

describe('the contract', () => {
  it('serves its OpenAPI document (every route declared, every schema named once)', async () => {
    const res = await h.service.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().paths)).toEqual(expect.arrayContaining(['/v1/sales-teams', '/v1/products', '/v1/prices', '/v1/orders', '/v1/orders/{id}/returns']));
  });
});
