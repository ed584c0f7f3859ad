import { randomUUID } from 'node:crypto';
import { SalesDealEvents, ScoringEvents, type Principal } from '@crm/domain';
import { systemRuntime, type Runtime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { accountPrincipal, admin, as, dealerPrincipal, manager, rep, snapshot, startSales, type SalesHarness } from './harness';

/** Commission plans, accrual with the order, tiers, splits, clawbacks in the month of the return, and who reads which statement. */
let h: SalesHarness;
let clock = Date.parse('2026-11-15T04:00:00Z');
const runtime: Runtime = { now: () => new Date(clock), newId: () => systemRuntime.newId() };
const inject = (method: 'GET' | 'POST' | 'PUT', url: string, principal: Principal, payload?: object, headers: Record<string, string> = {}) =>
  h.service.app.inject({ method, url, headers: as(principal, headers), ...(payload ? { payload } : {}) });
const count = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`sales.${table}`)}`.execute(h.db)).rows[0]!.n);

const dealerA = randomUUID();
const dealerB = randomUUID();
const person = randomUUID();
const tag = randomUUID().slice(0, 6);
const SUV = `SUV-${tag}`;
const MAT = `MAT-${tag}`;
const li = rep(`li-${tag}`);
const zhao = rep(`zhao-${tag}`);
const wang = manager(`wang-${tag}`);
const finance: Principal = { kind: 'staff', subject: `fin-${tag}`, roles: ['finance'] };
const plan = {
  name: `Retail ${tag}`,
  currency: 'CNY',
  tiers: [
    { fromAttainment: '0', defaultRate: 3, categoryRates: { accessories: 10 } },
    { fromAttainment: '1000000.00', defaultRate: 5, categoryRates: { accessories: 12 } },
  ],
  split: { repPercent: 60, dealerPercent: 40 },
  reps: [li.subject],
  dealers: [dealerA],
  validFrom: '2026-01-01',
};
const placeOrder = async (lines: object[], currency = 'CNY') => {
  const res = await inject('POST', '/v1/orders', li, { customerId: person, currency, lines });
  expect(res.statusCode).toBe(201);
  return res.json();
};
const statement = (principal: Principal, query: string) => inject('GET', `/v1/commission-statements?${query}`, principal);
type StatementLine = { orderId: string; orderLineNo: number; category: string; base: string; rate: number; tier: number; amount: string; returnId: string | null };
const lineOf = (rows: StatementLine[], orderId: string) => rows.filter((r) => r.orderId === orderId);

let first: { id: string };
let second: { id: string };

beforeAll(async () => {
  h = await startSales({ runtime });
  await h.knownCustomer(snapshot(person, { dealerId: dealerA }));
  for (const product of [
    { sku: SUV, name: 'SUV', category: 'cars', listPrices: [{ amount: '200000.00', currency: 'CNY' }, { amount: '4000000', currency: 'JPY' }] },
    { sku: MAT, name: 'Floor mats', category: 'accessories', listPrices: [{ amount: '500.00', currency: 'CNY' }] },
  ]) {
    expect((await inject('POST', '/v1/products', admin, product)).statusCode).toBe(201);
  }
  expect((await inject('POST', '/v1/sales-teams', admin, { name: `East ${tag}`, members: [{ subject: li.subject, role: 'rep' }, { subject: wang.subject, role: 'manager' }] })).statusCode).toBe(201);
});
afterAll(() => h.close());

describe('commission plans', () => {
  it('refuses plans with too many decimals, splits not adding up, tiers out of order or no payee, writing nothing', async () => {
    const before = await count('commission_plan');
    const decimals = await inject('POST', '/v1/commission-plans', admin, { ...plan, tiers: [plan.tiers[0], { ...plan.tiers[1], fromAttainment: '1000000.005' }] });
    expect(decimals.statusCode).toBe(400);
    expect(decimals.json().detail).toContain('CNY allows 2 decimal places');
    expect((await inject('POST', '/v1/commission-plans', admin, { ...plan, split: { repPercent: 60, dealerPercent: 30 } })).statusCode).toBe(400);
    expect((await inject('POST', '/v1/commission-plans', admin, { ...plan, tiers: [plan.tiers[1], plan.tiers[0]] })).statusCode).toBe(400);
    expect((await inject('POST', '/v1/commission-plans', admin, { ...plan, reps: [], dealers: [] })).statusCode).toBe(400);
    expect((await inject('POST', '/v1/commission-plans', li, plan)).statusCode).toBe(403);
    expect(await count('commission_plan')).toBe(before);
  });

  it('creates, reads and replaces a plan (If-Match)', async () => {
    const created = await inject('POST', '/v1/commission-plans', admin, plan);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ currency: 'CNY', split: { repPercent: 60, dealerPercent: 40 }, reps: [li.subject], dealers: [dealerA], validTo: null, version: 1 });
    const id = created.json().id;
    expect((await inject('GET', `/v1/commission-plans/${id}`, finance)).statusCode).toBe(200);
    expect((await inject('GET', `/v1/commission-plans/${id}`, li)).statusCode).toBe(403);
    expect((await inject('PUT', `/v1/commission-plans/${id}`, admin, plan)).statusCode).toBe(428);
    const replaced = await inject('PUT', `/v1/commission-plans/${id}`, admin, { ...plan, name: `Retail ${tag} v2` }, { 'if-match': created.headers.etag as string });
    expect(replaced.json()).toMatchObject({ name: `Retail ${tag} v2`, version: 2 });
  });
});

describe('accrual and statements', () => {
  it("accrues every placed order of the plan's payees with the order: rate by category, tiers, rep and dealer split", async () => {
    first = await placeOrder([{ sku: SUV, quantity: 4 }]);
    // 800,000 + 400,000 crosses 1,000,000: 200,000 at 3 %, 200,000 at 5 %; the mats at the accessories rate of tier 2.
    second = await placeOrder([{ sku: SUV, quantity: 2 }, { sku: MAT, quantity: 2 }]);
    const nov = (await statement(li, 'period=2026-11')).json();
    expect(nov).toMatchObject({ payeeKind: 'rep', payee: li.subject, period: '2026-11' });
    expect(lineOf(nov.lines, first.id).map((l) => [l.base, l.rate, l.tier, l.amount])).toEqual([['800000.00', 3, 1, '14400.00']]);
    expect(lineOf(nov.lines, second.id).map((l) => [l.orderLineNo, l.category, l.base, l.rate, l.tier, l.amount])).toEqual([
      [1, 'cars', '200000.00', 3, 1, '3600.00'],
      [1, 'cars', '200000.00', 5, 2, '6000.00'],
      [2, 'accessories', '1000.00', 12, 2, '72.00'],
    ]);
    expect(nov.lines[0]).toMatchObject({ kind: 'accrual', splitPercent: 60, status: 'converted', explanation: expect.stringContaining(`order ${first.id} line 1 (cars): 800000.00 CNY → base 800000.00 CNY × 3% (tier 1) × rep split 60% = 14400.00 CNY`) });
    expect(nov.totals).toEqual([expect.objectContaining({ currency: 'CNY', accrued: '24072.00', clawedBack: '0.00', total: '24072.00', unconvertedLines: 0 })]);

    const dealer = (await statement(dealerPrincipal(dealerA), 'period=2026-11')).json();
    expect(dealer).toMatchObject({ payeeKind: 'dealer', payee: dealerA });
    // 40 % of the same: 9,600.00 + 2,400.00 + 4,000.00 + 48.00.
    expect(dealer.totals[0]).toMatchObject({ total: '16048.00' });

    const event = await eventually('the accrual event', async () => h.salesEvents.find((e) => e.type === SalesDealEvents.commissionAccrued.type && (e.data as { orderId: string }).orderId === second.id));
    expect(event.data).toMatchObject({ kind: 'accrual', period: '2026-11', returnId: null });
    expect((event.data as { payees: object[] }).payees).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ payeeKind: 'rep', payee: li.subject, currency: 'CNY', amount: '9672.00' }),
        expect.objectContaining({ payeeKind: 'dealer', payee: dealerA, amount: '6448.00' }),
      ]),
    );
  });

  it('books orders in another currency than the plan\'s as unconverted until a rate is known, then converts them', async () => {
    const yen = await placeOrder([{ sku: SUV, quantity: 1 }], 'JPY');
    const nov = (await statement(li, 'period=2026-11')).json();
    expect(lineOf(nov.lines, yen.id)).toEqual([expect.objectContaining({ status: 'unconverted', base: null, amount: null, orderAmount: '4000000', orderCurrency: 'JPY', explanation: expect.stringContaining('not converted') })]);
    expect(nov.totals[0]).toMatchObject({ total: '24072.00', unconvertedLines: 1 });

    // Once scoring sets a rate into the base currency, the next order converts: 4,000,000 JPY × 0.05 = 200,000.00 CNY, all in tier 2.
    await h.publish(ScoringEvents.exchangeRateSet, { baseCurrency: 'CNY', currency: 'JPY', rate: '0.05', version: 1, setAt: new Date(clock).toISOString() });
    await eventually('the JPY rate', async () => ((await sql`select 1 from sales.exchange_rate where currency = 'JPY'`.execute(h.db)).rows.length > 0 ? true : undefined));
    const converted = await placeOrder([{ sku: SUV, quantity: 1 }], 'JPY');
    expect(lineOf((await statement(li, 'period=2026-11')).json().lines, converted.id)).toEqual([
      expect.objectContaining({ status: 'converted', orderAmount: '4000000', base: '200000.00', currency: 'CNY', tier: 2, rate: 5, amount: '6000.00' }),
    ]);
  });

  it('claws back a November order returned in December in December\'s statement, and a cancellation in full', async () => {
    clock = Date.parse('2026-12-03T04:00:00Z');
    expect((await inject('POST', `/v1/orders/${first.id}/returns`, li, { lines: [{ lineNo: 1, quantity: 1 }] })).statusCode).toBe(201);
    expect((await inject('POST', `/v1/orders/${second.id}/cancel`, li, { reason: 'changed mind' })).statusCode).toBe(200);
    const dec = (await statement(li, 'period=2026-12')).json();
    expect(lineOf(dec.lines, first.id)).toEqual([expect.objectContaining({ kind: 'clawback', bookedAt: '2026-12-03T04:00:00.000Z', returnId: expect.any(String), base: '-200000.00', orderAmount: '-200000.00', rate: 3, tier: 1, amount: '-3600.00' })]);
    expect(lineOf(dec.lines, second.id).map((l) => [l.amount, l.returnId])).toEqual([
      ['-3600.00', null],
      ['-6000.00', null],
      ['-72.00', null],
    ]);
    expect(dec.totals[0]).toMatchObject({ accrued: '0.00', clawedBack: '-13272.00', total: '-13272.00' });
    // November keeps what was earned then.
    expect((await statement(li, 'period=2026-11')).json().totals[0]).toMatchObject({ total: '30072.00' });
    await eventually('the clawback event', async () => h.salesEvents.find((e) => e.type === SalesDealEvents.commissionAccrued.type && (e.data as { orderId: string; kind: string }).orderId === first.id && (e.data as { kind: string }).kind === 'clawback'));
    // The month's attainment is net of clawbacks: a new order starts at the first tier again.
    const third = await placeOrder([{ sku: SUV, quantity: 1 }]);
    expect(lineOf((await statement(li, 'period=2026-12')).json().lines, third.id)).toEqual([expect.objectContaining({ tier: 1, amount: '3600.00' })]);
  });

  it('books concurrent orders of one payee one after the other: exactly the part above the threshold is accelerated', async () => {
    const chen = rep(`chen-${tag}`);
    expect((await inject('POST', '/v1/commission-plans', admin, { ...plan, name: `Chen ${tag}`, reps: [chen.subject], dealers: [] })).statusCode).toBe(201);
    const orders = await Promise.all(
      [1, 2].map(async () => {
        const res = await inject('POST', '/v1/orders', chen, { customerId: person, currency: 'CNY', lines: [{ sku: SUV, quantity: 3 }] });
        expect(res.statusCode).toBe(201);
        return res.json();
      }),
    );
    const lines = (await statement(chen, 'period=2026-12')).json().lines as StatementLine[];
    expect(lines.filter((l) => orders.some((o: { id: string }) => o.id === l.orderId))).toHaveLength(3);
    const baseOfTier = (tier: number) => lines.filter((l) => l.tier === tier).reduce((sum, l) => sum + Number(l.base), 0);
    expect([baseOfTier(1), baseOfTier(2)]).toEqual([1_000_000, 200_000]);
  });

  it('lets a rep read its own statement, a manager its team\'s, a dealer its own, finance all; 404 for anyone else\'s', async () => {
    expect((await statement(wang, `period=2026-11&payee=${li.subject}`)).statusCode).toBe(200);
    expect((await statement(finance, `period=2026-11&payee=${li.subject}`)).json().totals[0]).toMatchObject({ total: '30072.00' });
    expect((await statement(finance, `period=2026-11&payeeKind=dealer&payee=${dealerA}`)).json().totals[0]).toMatchObject({ total: '20048.00' });
    expect((await statement(zhao, `period=2026-11&payee=${li.subject}`)).statusCode).toBe(404);
    expect((await statement(li, `period=2026-11&payee=${wang.subject}`)).statusCode).toBe(404);
    expect((await statement(manager('other'), `period=2026-11&payee=${li.subject}`)).statusCode).toBe(404);
    expect((await statement(dealerPrincipal(dealerB), `period=2026-11&payeeKind=dealer&payee=${dealerA}`)).statusCode).toBe(404);
    expect((await statement(dealerPrincipal(dealerB), 'period=2026-11')).json()).toMatchObject({ payee: dealerB, lines: [], totals: [] });
    expect((await statement(accountPrincipal(person, 'viewer'), 'period=2026-11')).statusCode).toBe(403);
    expect((await statement(li, 'period=2026-13')).statusCode).toBe(400);
    expect((await statement(zhao, 'period=2026-11')).json()).toMatchObject({ lines: [], totals: [] });
  });
});

describe('activity bonus', () => {
  it("pays a plan's amount per completed activity of its kinds in the month (Dell: reps rewarded for logging contacts)", async () => {
    clock = Date.parse('2027-02-10T04:00:00Z');
    const sun = rep(`sun-${tag}`);
    const bad = await inject('POST', '/v1/commission-plans', admin, { ...plan, name: `Bonus bad ${tag}`, reps: [sun.subject], dealers: [], activityBonus: { kinds: ['call'], perActivity: '50.005' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('CNY allows 2 decimal places');
    const created = await inject('POST', '/v1/commission-plans', admin, {
      ...plan, name: `Bonus ${tag}`, reps: [sun.subject], dealers: [], validFrom: '2027-01-01', activityBonus: { kinds: ['call', 'test_drive'], perActivity: '50.00' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().activityBonus).toEqual({ kinds: ['call', 'test_drive'], perActivity: '50.00' });

    // Two calls and a test drive completed in February count; a meeting does not, nor a call left open.
    const logged: Array<[string, boolean]> = [['call', true], ['call', true], ['test_drive', true], ['meeting', true], ['call', false]];
    for (const [kind, complete] of logged) {
      const activity = await inject('POST', '/v1/activities', sun, { kind, target: { kind: 'customer', id: person }, subject: `${kind} ${tag}` });
      expect(activity.statusCode).toBe(201);
      if (complete) expect((await inject('POST', `/v1/activities/${activity.json().id}/complete`, sun, { outcome: 'reached' })).statusCode).toBe(200);
    }
    const completed = 3;
    const february = (await statement(sun, 'period=2027-02')).json();
    expect(february.activityBonuses).toEqual([expect.objectContaining({ planId: created.json().id, activities: completed, perActivity: '50.00', amount: `${completed * 50}.00` })]);
    expect(february.activityBonuses[0].explanation).toContain(`${completed} completed call, test_drive in 2027-02`);
    expect(february.totals).toEqual([expect.objectContaining({ planId: created.json().id, activityBonus: `${completed * 50}.00`, total: `${completed * 50}.00` })]);
    // Another month has none; another rep cannot read sun's statement.
    expect((await statement(sun, 'period=2027-01')).json().activityBonuses).toEqual([expect.objectContaining({ activities: 0, amount: '0.00' })]);
    expect((await statement(zhao, `period=2027-02&payeeKind=rep&payee=${sun.subject}`)).statusCode).toBe(404);
  });
});
