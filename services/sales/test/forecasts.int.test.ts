import { randomUUID } from 'node:crypto';
import { SalesOpportunityEvents, ScoringEvents, type Principal } from '@crm/domain';
import { systemRuntime, type Runtime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { accountPrincipal, admin, as, dealerPrincipal, manager, rep, snapshot, startSales, type SalesHarness } from './harness';

/** Quotas, forecasts (live, from snapshots, compared) and the weekly snapshot, on the real PostgreSQL and Kafka with a moved clock. */
let h: SalesHarness;
let clock = new Date('2026-12-02T04:00:00Z'); // Wednesday noon in Shanghai
const runtime: Runtime = { now: () => clock, newId: () => systemRuntime.newId() };
const inject = (method: 'GET' | 'POST' | 'PUT', url: string, principal: Principal, payload?: object) =>
  h.service.app.inject({ method, url, headers: as(principal), ...(payload ? { payload } : {}) });
const count = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`sales.${table}`)}`.execute(h.db)).rows[0]!.n);

const suffix = randomUUID().slice(0, 6);
const li = rep(`li-${suffix}`);
const wang = rep(`wang-${suffix}`);
const zhao = rep(`zhao-${suffix}`);
const boss = manager(`boss-${suffix}`);
const dealerA = randomUUID();
const dealerB = randomUUID();
const customer = randomUUID();
const dealerCustomer = randomUUID();
let east: string;
let west: string;
const ids: Record<string, string> = {};
const forecast = async (principal: Principal, query: string) => {
  const res = await inject('GET', `/v1/forecasts?${query}`, principal);
  expect(res.statusCode).toBe(200);
  return res.json();
};

beforeAll(async () => {
  h = await startSales({ runtime, env: { SALES_FORECAST_SNAPSHOT_CHECK_SECONDS: '1' } });
  await h.knownCustomer(snapshot(customer, { kind: 'organization' }));
  await h.knownCustomer(snapshot(dealerCustomer, { dealerId: dealerA }));
  east = (await inject('POST', '/v1/sales-teams', admin, { name: 'East', members: [{ subject: li.subject, role: 'rep' }, { subject: wang.subject, role: 'rep' }, { subject: boss.subject, role: 'manager' }] })).json().id;
  west = (await inject('POST', '/v1/sales-teams', admin, { name: 'West', members: [{ subject: zhao.subject, role: 'rep' }] })).json().id;
  const stages = [
    { key: 'qualify', name: 'Qualify', probability: 10, forecastCategory: 'pipeline' },
    { key: 'propose', name: 'Propose', probability: 40, forecastCategory: 'best_case' },
    { key: 'negotiate', name: 'Negotiate', probability: 80, forecastCategory: 'commit' },
  ];
  expect((await inject('POST', '/v1/pipelines', admin, { name: 'Direct', channel: 'direct', stages })).statusCode).toBe(201);
  expect((await inject('POST', '/v1/pipelines', admin, { name: 'Dealer', channel: 'dealer', stages })).statusCode).toBe(201);
  await h.publish(ScoringEvents.exchangeRateSet, { currency: 'USD', rate: '7.1', baseCurrency: 'CNY', version: 1, setAt: new Date().toISOString() });
  await eventually('the USD rate', async () => ((await sql`select 1 from sales.exchange_rate where currency = 'USD'`.execute(h.db)).rows.length > 0 ? true : undefined));

  const open = async (name: string, principal: Principal, body: object) => {
    const res = await inject('POST', '/v1/opportunities', principal, { customerId: customer, name, ...body });
    expect(res.statusCode).toBe(201);
    ids[name] = res.json().id;
  };
  await open('li-cny', li, { amount: { amount: '1000.00', currency: 'CNY' }, expectedCloseDate: '2026-12-10', productLine: 'suv' });
  await open('li-usd', li, { amount: { amount: '100.00', currency: 'USD' }, expectedCloseDate: '2026-12-20', productLine: 'suv', stage: 'negotiate' });
  await open('wang-nov', wang, { amount: { amount: '2000.00', currency: 'CNY' }, expectedCloseDate: '2026-11-15', productLine: 'mpv', stage: 'propose' });
  await open('wang-won', wang, { amount: { amount: '500.00', currency: 'CNY' }, expectedCloseDate: '2027-02-01', productLine: 'mpv' });
  await open('zhao-eur', zhao, { amount: { amount: '300.00', currency: 'EUR' }, expectedCloseDate: '2026-12-05' });
  await open('li-lost', li, { amount: { amount: '999.00', currency: 'CNY' }, expectedCloseDate: '2026-12-10' });
  await open('li-next-year', li, { amount: { amount: '1000.00', currency: 'CNY' }, expectedCloseDate: '2027-01-15' });
  const dealers = await inject('POST', '/v1/opportunities', dealerPrincipal(dealerA), { customerId: dealerCustomer, name: 'dealer', amount: { amount: '10000.00', currency: 'CNY' }, expectedCloseDate: '2026-12-12' });
  expect(dealers.statusCode).toBe(201);
  // Won today (2026-12-02): it counts in December and Q4, whatever close date it expected.
  expect((await inject('POST', `/v1/opportunities/${ids['wang-won']}/won`, wang, {})).statusCode).toBe(200);
  expect((await inject('POST', `/v1/opportunities/${ids['li-lost']}/lost`, li, { reason: 'price' })).statusCode).toBe(200);
});
afterAll(() => h.close());

describe('quotas', () => {
  const put = (principal: Principal, body: object) => inject('PUT', '/v1/quotas', principal, body);

  it('are set by admins, and by managers for their teams and members only, in the base currency; each set is announced', async () => {
    expect((await put(boss, { period: '2026-Q4', dimension: 'owner', target: li.subject, amount: { amount: '4000.00', currency: 'CNY' } })).statusCode).toBe(201);
    const again = await put(boss, { period: '2026-Q4', dimension: 'owner', target: li.subject, amount: { amount: '5000.00', currency: 'CNY' } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ amount: { amount: '5000.00', currency: 'CNY' }, version: 2, setBy: `staff:${boss.subject}` });
    for (const body of [
      { period: '2026-Q4', dimension: 'owner', target: wang.subject, amount: { amount: '1000.00', currency: 'CNY' } },
      { period: '2026-Q4', dimension: 'team', target: east, amount: { amount: '10000.00', currency: 'CNY' } },
      { period: '2026-Q4', dimension: 'dealer', target: dealerA, amount: { amount: '20000.00', currency: 'CNY' } },
      { period: '2026-12', dimension: 'productLine', target: 'suv', amount: { amount: '3000', currency: 'CNY' } },
    ]) {
      expect((await put(admin, body)).statusCode).toBe(201);
    }
    const quotaId = again.json().id;
    await eventually('quota events', async () => {
      const set = h.salesEvents.filter((e) => e.type === SalesOpportunityEvents.quotaSet.type && (e.data as { quotaId: string }).quotaId === quotaId);
      return set.length === 2 ? set : undefined;
    });
  });

  it('refuses what the caller may not set and bad input, writing nothing', async () => {
    const before = await count('quota');
    const amount = { amount: '1.00', currency: 'CNY' };
    const cases: [Principal, object, number][] = [
      [boss, { period: '2026-Q4', dimension: 'owner', target: zhao.subject, amount }, 403],
      [boss, { period: '2026-Q4', dimension: 'team', target: west, amount }, 403],
      [boss, { period: '2026-Q4', dimension: 'dealer', target: dealerB, amount }, 403],
      [li, { period: '2026-Q4', dimension: 'owner', target: li.subject, amount }, 403],
      [dealerPrincipal(dealerA), { period: '2026-Q4', dimension: 'dealer', target: dealerA, amount }, 403],
      [admin, { period: '2026-Q4', dimension: 'owner', target: li.subject, amount: { amount: '1.00', currency: 'USD' } }, 422],
      [admin, { period: '2026-Q4', dimension: 'team', target: 'East', amount }, 422],
      [admin, { period: '2026-Q4', dimension: 'team', target: randomUUID(), amount }, 422],
      [admin, { period: '2026-Q5', dimension: 'owner', target: li.subject, amount }, 400],
      [admin, { period: '2026-13', dimension: 'owner', target: li.subject, amount }, 400],
      [admin, { period: '2026-Q4', dimension: 'region', target: 'x', amount }, 400],
      [admin, { period: '2026-Q4', dimension: 'owner', target: li.subject, amount: { amount: '-1.00', currency: 'CNY' } }, 400],
      [admin, { period: '2026-Q4', dimension: 'owner', target: li.subject, amount: { amount: '1.001', currency: 'CNY' } }, 400],
    ];
    for (const [principal, body, status] of cases) {
      const res = await put(principal, body);
      expect([JSON.stringify(body), res.statusCode]).toEqual([JSON.stringify(body), status]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await count('quota')).toBe(before);
    expect((await inject('GET', '/v1/quotas?period=2026-Q4&dimension=owner', admin)).json().items.find((q: { target: string }) => q.target === li.subject).amount.amount).toBe('5000.00');
  });

  it("are read within the caller's scope", async () => {
    const targets = async (principal: Principal) => (await inject('GET', '/v1/quotas?period=2026-Q4', principal)).json().items.map((q: { target: string }) => q.target).sort();
    expect(await targets(li)).toEqual([east, li.subject, wang.subject].sort());
    expect(await targets(zhao)).toEqual([]);
    expect(await targets(dealerPrincipal(dealerA))).toEqual([dealerA]);
    expect(await targets(dealerPrincipal(dealerB))).toEqual([]);
    expect((await inject('GET', '/v1/quotas', accountPrincipal(customer, 'viewer'))).statusCode).toBe(403);
  });
});

describe('forecasts', () => {
  const zeros = { weighted: '0.00', pipeline: '0.00', bestCase: '0.00', commit: '0.00', won: '0.00', openOpportunities: 0, wonOpportunities: 0, unconverted: 0, quota: null, attainment: null };

  it('weighs, sums per category and holds won against the quota, per owner, in the base currency', async () => {
    const q4 = await forecast(admin, 'period=2026-Q4&groupBy=owner');
    expect(q4).toMatchObject({ period: '2026-Q4', from: '2026-10-01', to: '2026-12-31', currency: 'CNY', snapshot: null });
    expect(q4.groups).toEqual([
      // 1,000 × 10 % + 100 USD × 7.1 × 80 %
      { ...zeros, key: li.subject, weighted: '668.00', pipeline: '1000.00', commit: '710.00', openOpportunities: 2, quota: '5000.00', attainment: '0.00' },
      { ...zeros, key: wang.subject, weighted: '800.00', bestCase: '2000.00', won: '500.00', openOpportunities: 1, wonOpportunities: 1, quota: '1000.00', attainment: '50.00' },
      // No EUR rate: counted, not summed.
      { ...zeros, key: zhao.subject, openOpportunities: 1, unconverted: 1 },
      { ...zeros, key: null, weighted: '1000.00', pipeline: '10000.00', openOpportunities: 1 },
    ]);
    const december = await forecast(admin, 'period=2026-12&groupBy=owner');
    expect(december.groups.find((g: { key: string }) => g.key === wang.subject)).toMatchObject({ weighted: '0.00', won: '500.00', openOpportunities: 0 });
  });

  it('groups by team, dealer and product line', async () => {
    const eastGroup = { ...zeros, key: east, weighted: '1468.00', pipeline: '1000.00', bestCase: '2000.00', commit: '710.00', won: '500.00', openOpportunities: 3, wonOpportunities: 1, quota: '10000.00', attainment: '5.00' };
    const westGroup = { ...zeros, key: west, openOpportunities: 1, unconverted: 1 };
    expect((await forecast(admin, 'period=2026-Q4&groupBy=team')).groups).toEqual(east < west ? [eastGroup, westGroup] : [westGroup, eastGroup]);
    const dealers = await forecast(admin, 'period=2026-Q4&groupBy=dealer');
    expect(dealers.groups.find((g: { key: string }) => g.key === dealerA)).toMatchObject({ weighted: '1000.00', quota: '20000.00', attainment: '0.00' });
    const lines = await forecast(admin, 'period=2026-12&groupBy=productLine');
    expect(lines.groups.find((g: { key: string }) => g.key === 'suv')).toMatchObject({ weighted: '668.00', quota: '3000.00' });
    expect(lines.groups.find((g: { key: string }) => g.key === 'mpv')).toMatchObject({ won: '500.00' });
  });

  it("sums only what the caller sees: a rep its team's, a dealer its own", async () => {
    expect((await forecast(li, 'period=2026-Q4&groupBy=owner')).groups.map((g: { key: string }) => g.key)).toEqual([li.subject, wang.subject]);
    expect((await forecast(zhao, 'period=2026-Q4&groupBy=owner')).groups.map((g: { key: string }) => g.key)).toEqual([zhao.subject]);
    expect((await forecast(li, 'period=2026-Q4&groupBy=dealer')).groups.map((g: { key: string | null }) => g.key)).toEqual([null]);
    expect((await forecast(dealerPrincipal(dealerA), 'period=2026-Q4&groupBy=dealer')).groups).toEqual([{ ...zeros, key: dealerA, weighted: '1000.00', pipeline: '10000.00', openOpportunities: 1, quota: '20000.00', attainment: '0.00' }]);
    expect((await forecast(dealerPrincipal(dealerB), 'period=2026-Q4&groupBy=dealer')).groups).toEqual([]);
    expect((await forecast(dealerPrincipal(dealerA), 'period=2026-Q4&groupBy=owner')).groups).toEqual([{ ...zeros, key: null, weighted: '1000.00', pipeline: '10000.00', openOpportunities: 1 }]);
    expect((await inject('GET', '/v1/forecasts?period=2026-Q4', accountPrincipal(customer, 'buyer'))).statusCode).toBe(403);
  });

  it('refuses bad periods and groupings, and an asOf no snapshot answers', async () => {
    for (const query of ['period=2026-Q0', 'period=26-12', 'period=2026-Q4&groupBy=region', 'period=2026-Q4&asOf=yesterday']) {
      expect((await inject('GET', `/v1/forecasts?${query}`, admin)).statusCode).toBe(400);
    }
    const none = await inject('GET', '/v1/forecasts?period=2026-Q4&asOf=2026-11-01', admin);
    expect(none.statusCode).toBe(404);
    expect(none.json().detail).toContain('no forecast snapshot');
  });
});

describe('snapshots', () => {
  it('keeps the forecast as of a day, answers it for asOf and compares it with now', async () => {
    expect((await inject('POST', '/v1/forecasts/snapshots', li, { period: '2026-Q4' })).statusCode).toBe(403);
    const taken = await inject('POST', '/v1/forecasts/snapshots', boss, { period: '2026-Q4' });
    expect(taken.statusCode).toBe(201);
    expect(taken.json()).toMatchObject({ period: '2026-Q4', kind: 'manual', asOf: '2026-12-02', takenBy: `staff:${boss.subject}` });
    const before = await inject('GET', '/v1/forecasts?period=2026-Q4&groupBy=owner', admin);

    // The day after, li's deal moves on and wang wins another.
    clock = new Date('2026-12-03T04:00:00Z');
    expect((await inject('POST', `/v1/opportunities/${ids['li-cny']}/stage`, li, { stage: 'negotiate' })).statusCode).toBe(200);
    expect((await inject('POST', `/v1/opportunities/${ids['wang-nov']}/won`, wang, {})).statusCode).toBe(200);

    const then = await forecast(admin, 'period=2026-Q4&groupBy=owner&asOf=2026-12-02');
    expect(then.snapshot).toMatchObject({ id: taken.json().id, kind: 'manual', asOf: '2026-12-02' });
    expect(then.groups).toEqual(before.json().groups);
    // From the snapshot too, a rep sees only its team's.
    expect((await forecast(li, 'period=2026-Q4&groupBy=owner&asOf=2026-12-31')).groups.map((g: { key: string }) => g.key)).toEqual([li.subject, wang.subject]);
    expect((await forecast(admin, 'period=2026-Q4&groupBy=team&asOf=2026-12-02')).groups.find((g: { key: string }) => g.key === east)).toMatchObject({ weighted: '1468.00' });

    const compared = (await inject('GET', '/v1/forecasts/compare?period=2026-Q4&groupBy=owner&asOf=2026-12-02', li)).json();
    expect(compared.then).toMatchObject({ asOf: '2026-12-02' });
    expect(compared.groups.map((g: { key: string }) => g.key)).toEqual([li.subject, wang.subject]);
    // li: 1,000 moved from 10 % to 80 %; wang: 2,000 won, no longer weighted at 40 %.
    expect(compared.groups[0]).toMatchObject({ now: { weighted: '1368.00', commit: '1710.00' }, then: { weighted: '668.00' }, change: { weighted: '700.00', commit: '1000.00', won: '0.00' } });
    expect(compared.groups[1]).toMatchObject({ now: { won: '2500.00', wonOpportunities: 2 }, change: { weighted: '-800.00', won: '2000.00' } });
    expect((await inject('GET', '/v1/forecasts/compare?period=2026-Q4&asOf=2026-11-01', admin)).statusCode).toBe(404);
    await eventually('snapshot event', async () => h.salesEvents.find((e) => e.type === SalesOpportunityEvents.forecastSnapshotTaken.type && (e.data as { snapshotId: string }).snapshotId === taken.json().id));
  });

  it('takes the weekly snapshot of the month and the quarter once, from Monday 00:00 in the sales time zone', async () => {
    const weekly = async (asOf: string) => Number((await sql<{ n: string }>`select count(*) as n from sales.forecast_snapshot where kind = 'weekly' and as_of = ${asOf}::date`.execute(h.db)).rows[0]!.n);
    // This week's (Monday 2026-11-30) were taken at start.
    await eventually('the start-up weekly snapshots', async () => ((await weekly('2026-11-30')) === 2 ? true : undefined));
    clock = new Date('2026-12-06T15:30:00Z'); // Sunday 23:30 in Shanghai
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await weekly('2026-12-07')).toBe(0);
    clock = new Date('2026-12-06T16:00:00Z'); // Monday 00:00 in Shanghai
    await eventually('the weekly snapshots', async () => ((await weekly('2026-12-07')) === 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await weekly('2026-12-07')).toBe(2);
    const periods = (await sql<{ period: string }>`select period from sales.forecast_snapshot where kind = 'weekly' and as_of = '2026-12-07' order by period`.execute(h.db)).rows.map((r) => r.period);
    expect(periods).toEqual(['2026-12', '2026-Q4']);
    const monday = await forecast(admin, 'period=2026-Q4&groupBy=owner&asOf=2026-12-07');
    expect(monday.snapshot).toMatchObject({ kind: 'weekly', asOf: '2026-12-07' });
    expect(monday.groups.find((g: { key: string }) => g.key === li.subject)).toMatchObject({ weighted: '1368.00' });
    await eventually('weekly events', async () => {
      const events = h.salesEvents.filter((e) => e.type === SalesOpportunityEvents.forecastSnapshotTaken.type && (e.data as { asOf: string; kind: string }).asOf === '2026-12-07');
      return events.length === 2 && events.every((e) => (e.data as { kind: string }).kind === 'weekly') ? true : undefined;
    });
  });
});
