import { randomUUID } from 'node:crypto';
import { CustomerEvents, SalesActivityEvents, SalesPipelineEvents, type Principal } from '@crm/domain';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { accountPrincipal, admin, as, dealerPrincipal, erp, rep, snapshot, startSales, type SalesHarness } from './harness';

/** Activities on the real PostgreSQL and Kafka: scope, completion onto the customer's timeline, recurrence, the counts report. */
let h: SalesHarness;
const inject = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, principal: Principal, payload?: object, headers: Record<string, string> = {}) =>
  h.service.app.inject({ method, url, headers: as(principal, headers), ...(payload ? { payload } : {}) });
const count = async () => Number((await sql<{ n: string }>`select count(*) as n from sales.activity`.execute(h.db)).rows[0]!.n);

const dealerA = randomUUID();
const dealerB = randomUUID();
const personA = randomUUID();
const personB = randomUUID();
const tag = randomUUID().slice(0, 6);
const li = rep(`li-${tag}`);
const zhao = rep(`zhao-${tag}`);
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  h = await startSales();
  await h.knownCustomer(snapshot(personA, { dealerId: dealerA }));
  await h.knownCustomer(snapshot(personB, { dealerId: dealerB }));
  // li and wang are teammates; zhao is on nobody's team.
  expect((await inject('POST', '/v1/sales-teams', admin, { name: `East ${tag}`, members: [{ subject: li.subject, role: 'rep' }, { subject: `wang-${tag}`, role: 'manager' }] })).statusCode).toBe(201);
});
afterAll(() => h.close());

describe('activities', () => {
  it('schedules a call on a customer, completes it, and puts it on the customer timeline with codes only', async () => {
    const created = await inject('POST', '/v1/activities', li, { kind: 'call', target: { kind: 'customer', id: personA }, subject: 'Ask about the SUV test drive', dueAt: inAnHour() });
    expect(created.statusCode).toBe(201);
    const activity = created.json();
    expect(activity).toMatchObject({ kind: 'call', target: { kind: 'customer', id: personA }, customerId: personA, ownerSubject: li.subject, dealerId: dealerA, status: 'open', version: 1 });
    expect(created.headers.location).toBe(`/v1/activities/${activity.id}`);
    await eventually('the scheduled event', async () => h.salesEvents.find((e) => e.type === SalesActivityEvents.activityScheduled.type && (e.data as { activityId: string }).activityId === activity.id));

    const done = await inject('POST', `/v1/activities/${activity.id}/complete`, li, { outcome: 'reached', notes: 'Wants a Saturday slot' });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: 'completed', outcome: 'reached', notes: 'Wants a Saturday slot', version: 2 });
    const logged = await eventually('the timeline event', async () => h.salesEvents.find((e) => e.type === SalesPipelineEvents.activityLogged.type && (e.data as { activityId: string }).activityId === activity.id));
    expect(logged.subject).toBe(personA);
    expect(logged.data).toMatchObject({ customerId: personA, kind: 'call', subject: `customer:${personA}`, outcome: 'reached', ownerSubject: li.subject, dealerId: dealerA });
    expect(JSON.stringify(logged.data)).not.toContain('SUV test drive');
    await eventually('the completed event', async () => h.salesEvents.find((e) => e.type === SalesActivityEvents.activityCompleted.type && (e.data as { activityId: string }).activityId === activity.id));

    const again = await inject('POST', `/v1/activities/${activity.id}/complete`, li, { outcome: 'reached' });
    expect(again.statusCode).toBe(409);
    expect(again.json().type).toBe('urn:crm:problem:invalid-transition');
    // A completed activity is on the record: no edit, no delete.
    expect((await inject('PATCH', `/v1/activities/${activity.id}`, li, { subject: 'x' }, { 'if-match': '"2"' })).statusCode).toBe(409);
    expect((await inject('DELETE', `/v1/activities/${activity.id}`, li)).statusCode).toBe(409);
  });

  it('keeps activities within scope: teammates and the customer dealer see them, others get 404 on reads and writes', async () => {
    const activity = (await inject('POST', '/v1/activities', li, { kind: 'visit', target: { kind: 'customer', id: personA }, subject: 'Showroom visit' })).json();
    for (const principal of [li, rep(`wang-${tag}`), admin, erp, dealerPrincipal(dealerA)]) {
      expect((await inject('GET', `/v1/activities/${activity.id}`, principal)).statusCode).toBe(200);
    }
    for (const principal of [zhao, dealerPrincipal(dealerB)]) {
      expect((await inject('GET', `/v1/activities/${activity.id}`, principal)).statusCode).toBe(404);
      expect((await inject('POST', `/v1/activities/${activity.id}/complete`, principal, { outcome: 'completed' })).statusCode).toBe(404);
      expect((await inject('DELETE', `/v1/activities/${activity.id}`, principal)).statusCode).toBe(404);
      const listed = (await inject('GET', `/v1/activities?customerId=${personA}&limit=200`, principal)).json().items.map((a: { id: string }) => a.id);
      expect(listed).not.toContain(activity.id);
    }
    expect((await inject('GET', `/v1/activities?customerId=${personA}&limit=200`, dealerPrincipal(dealerA))).json().items.map((a: { id: string }) => a.id)).toContain(activity.id);
    // Account users have no activities at all.
    expect((await inject('GET', '/v1/activities', accountPrincipal(personA, 'viewer'))).statusCode).toBe(403);
  });

  it('lets a dealer log only on its own customers (404 for another dealer\'s) and owns what it logs', async () => {
    const before = await count();
    expect((await inject('POST', '/v1/activities', dealerPrincipal(dealerA), { kind: 'test_drive', target: { kind: 'customer', id: personB }, subject: 'Drive' })).statusCode).toBe(404);
    expect((await inject('POST', '/v1/activities', dealerPrincipal(dealerA), { kind: 'test_drive', target: { kind: 'customer', id: randomUUID() }, subject: 'Drive' })).statusCode).toBe(404);
    expect(await count()).toBe(before);
    const own = await inject('POST', '/v1/activities', dealerPrincipal(dealerA), { kind: 'test_drive', target: { kind: 'customer', id: personA }, subject: 'Drive' });
    expect(own.statusCode).toBe(201);
    expect(own.json()).toMatchObject({ dealerId: dealerA, ownerSubject: null });
    expect((await inject('GET', `/v1/activities/${own.json().id}`, li)).statusCode).toBe(404);
  });

  it('refuses bad input with problem+json and writes nothing', async () => {
    const before = await count();
    const cases: Array<[object, number, string]> = [
      [{ kind: 'fax', target: { kind: 'customer', id: personA }, subject: 's' }, 400, 'validation'],
      [{ kind: 'call', target: { kind: 'customer', id: personA }, subject: '' }, 400, 'validation'],
      [{ kind: 'task', target: { kind: 'customer', id: personA }, subject: 's', dueAt: inAnHour(), rrule: 'FREQ=SOMETIMES' }, 400, 'validation'],
      [{ kind: 'task', target: { kind: 'customer', id: personA }, subject: 's', dueAt: inAnHour(), rrule: 'FREQ=DAILY;BYDAY=XX' }, 400, 'validation'],
      [{ kind: 'task', target: { kind: 'customer', id: personA }, subject: 's', rrule: 'FREQ=DAILY' }, 400, 'validation'],
      [{ kind: 'call', target: { kind: 'customer', id: personA }, subject: 's', dueAt: inAnHour(), rrule: 'FREQ=DAILY' }, 400, 'validation'],
      // A lead or opportunity that does not exist (or is outside the caller's scope) is a 404, as everywhere.
      [{ kind: 'call', target: { kind: 'lead', id: randomUUID() }, subject: 's' }, 404, 'not-found'],
      [{ kind: 'call', target: { kind: 'opportunity', id: randomUUID() }, subject: 's' }, 404, 'not-found'],
      [{ kind: 'call', target: { kind: 'customer', id: personA }, subject: 's', ownerSubject: zhao.subject }, 422, 'unprocessable'],
    ];
    for (const [payload, status, type] of cases) {
      const res = await inject('POST', '/v1/activities', li, payload);
      expect({ payload, status: res.statusCode, type: res.json().type }).toEqual({ payload, status, type: `urn:crm:problem:${type}` });
    }
    const invalid = await inject('POST', '/v1/activities', li, { kind: 'task', target: { kind: 'customer', id: personA }, subject: 's', dueAt: inAnHour(), rrule: 'FREQ=SOMETIMES' });
    expect(invalid.json().detail).toContain('rrule');
    const future = (await inject('POST', '/v1/activities', li, { kind: 'call', target: { kind: 'customer', id: personA }, subject: 'later' })).json();
    const notYet = await inject('POST', `/v1/activities/${future.id}/complete`, li, { outcome: 'reached', completedAt: inAnHour() });
    expect(notYet.statusCode).toBe(422);
    expect((await inject('GET', `/v1/activities/${future.id}`, li)).json().status).toBe('open');
    expect(await count()).toBe(before + 1);
    expect((await inject('POST', '/v1/activities', accountPrincipal(personA, 'buyer'), { kind: 'call', target: { kind: 'customer', id: personA }, subject: 's' })).statusCode).toBe(403);
  });

  it('reschedules with If-Match and deletes an open activity', async () => {
    const activity = (await inject('POST', '/v1/activities', li, { kind: 'meeting', target: { kind: 'customer', id: personA }, subject: 'Meet' })).json();
    expect((await inject('PATCH', `/v1/activities/${activity.id}`, li, { subject: 'Meet again' })).statusCode).toBe(428);
    expect((await inject('PATCH', `/v1/activities/${activity.id}`, li, { subject: 'Meet again' }, { 'if-match': '"9"' })).statusCode).toBe(412);
    const dueAt = inAnHour();
    const moved = await inject('PATCH', `/v1/activities/${activity.id}`, li, { subject: 'Meet again', dueAt }, { 'if-match': '"1"' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ subject: 'Meet again', dueAt: new Date(dueAt).toISOString(), version: 2 });
    expect(moved.headers.etag).toBe('"2"');
    const rescheduled = await eventually('the rescheduled event', async () => h.salesEvents.find((e) => e.type === SalesActivityEvents.activityRescheduled.type && (e.data as { activityId: string }).activityId === activity.id));
    expect(rescheduled.data).toMatchObject({ dueAt: new Date(dueAt).toISOString(), recurring: false });
    expect((await inject('PATCH', `/v1/activities/${activity.id}`, li, { rrule: 'FREQ=DAILY' }, { 'if-match': '"2"' })).statusCode).toBe(422);
    expect((await inject('DELETE', `/v1/activities/${activity.id}`, li)).statusCode).toBe(204);
    expect((await inject('GET', `/v1/activities/${activity.id}`, li)).statusCode).toBe(404);
    await eventually('the deleted event', async () => h.salesEvents.find((e) => e.type === SalesActivityEvents.activityDeleted.type && (e.data as { activityId: string }).activityId === activity.id));
  });

  it('lists the occurrences of a recurring task in a window, next to one-off activities', async () => {
    const owner = rep(`sun-${tag}`);
    const start = new Date('2027-03-01T01:00:00Z'); // a Monday, 09:00 in Shanghai
    const weekly = await inject('POST', '/v1/activities', owner, { kind: 'task', target: { kind: 'customer', id: personA }, subject: 'Weekly follow-up', dueAt: start.toISOString(), rrule: 'RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10' });
    expect(weekly.statusCode).toBe(201);
    expect(weekly.json().rrule).toBe('FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10');
    const oneOff = (await inject('POST', '/v1/activities', owner, { kind: 'call', target: { kind: 'customer', id: personA }, subject: 'Call', dueAt: '2027-03-02T03:00:00Z' })).json();
    const window = await inject('GET', `/v1/activities?ownerSubject=${owner.subject}&from=2027-03-01T00:00:00Z&to=2027-03-09T00:00:00Z`, owner);
    expect(window.statusCode).toBe(200);
    const items = window.json().items as Array<{ id: string; occursAt: string }>;
    expect(items.map((i) => [i.id, i.occursAt])).toEqual([
      [weekly.json().id, '2027-03-01T01:00:00.000Z'],
      [oneOff.id, '2027-03-02T03:00:00.000Z'],
      [weekly.json().id, '2027-03-04T01:00:00.000Z'],
      [weekly.json().id, '2027-03-08T01:00:00.000Z'],
    ]);
    expect((await inject('GET', `/v1/activities?from=2027-03-01T00:00:00Z`, owner)).statusCode).toBe(400);
    expect((await inject('GET', `/v1/activities?from=2027-03-01T00:00:00Z&to=2027-09-01T00:00:00Z`, owner)).statusCode).toBe(400);
  });

  it('counts completed activities per month per rep and per dealer, within scope', async () => {
    const counter = rep(`qian-${tag}`);
    for (const [kind, completedAt] of [['call', '2026-10-31T17:00:00Z'], ['call', '2026-11-02T02:00:00Z'], ['visit', '2026-11-03T02:00:00Z']] as const) {
      const a = (await inject('POST', '/v1/activities', counter, { kind, target: { kind: 'customer', id: personB }, subject: 's' })).json();
      expect((await inject('POST', `/v1/activities/${a.id}/complete`, counter, { outcome: 'reached', completedAt })).statusCode).toBe(200);
    }
    // 2026-10-31T17:00Z is already November in Shanghai.
    const byOwner = await inject('GET', '/v1/sales-reports/activity-counts?from=2026-10&to=2026-11&groupBy=owner', admin);
    expect(byOwner.statusCode).toBe(200);
    expect(byOwner.json().items.filter((i: { owner: string }) => i.owner === counter.subject)).toEqual([
      { period: '2026-11', owner: counter.subject, kind: 'call', count: 2 },
      { period: '2026-11', owner: counter.subject, kind: 'visit', count: 1 },
    ]);
    const calls = (await inject('GET', '/v1/sales-reports/activity-counts?from=2026-11&to=2026-11&groupBy=dealer&kind=call', dealerPrincipal(dealerB))).json();
    expect(calls.items).toEqual([{ period: '2026-11', owner: dealerB, kind: 'call', count: 2 }]);
    expect((await inject('GET', '/v1/sales-reports/activity-counts?from=2026-10&to=2026-11', zhao)).json().items).toEqual([]);
    expect((await inject('GET', '/v1/sales-reports/activity-counts?from=2026-12&to=2026-11', admin)).statusCode).toBe(400);
  });

  it('moves activities to the survivor of a merge and erases them with the customer', async () => {
    const duplicate = randomUUID();
    await h.knownCustomer(snapshot(duplicate, { dealerId: dealerA }));
    const activity = (await inject('POST', '/v1/activities', li, { kind: 'email', target: { kind: 'customer', id: duplicate }, subject: 'Brochure' })).json();
    await h.publish(CustomerEvents.merged, { survivorId: personA, mergedId: duplicate, survivor: snapshot(personA, { dealerId: dealerA, version: 2 }) });
    await eventually('the move', async () => {
      const moved = (await inject('GET', `/v1/activities/${activity.id}`, admin)).json();
      return moved.customerId === personA && moved.target.id === personA ? true : undefined;
    });
    const exported = (await inject('GET', `/v1/customers/${personA}/personal-data`, admin)).json();
    expect(exported.sections.activities.map((a: { id: string }) => a.id)).toContain(activity.id);
    const erasable = randomUUID();
    await h.knownCustomer(snapshot(erasable));
    const gone = (await inject('POST', '/v1/activities', li, { kind: 'call', target: { kind: 'customer', id: erasable }, subject: 'Call' })).json();
    await h.publish(CustomerEvents.erased, { customerId: erasable, mergedIds: [] });
    await eventually('the erasure', async () => ((await inject('GET', `/v1/activities/${gone.id}`, admin)).statusCode === 404 ? true : undefined));
    expect((await sql`select 1 from sales.activity where customer_id = ${erasable} or target_id = ${erasable}`.execute(h.db)).rows).toEqual([]);
  });
});
