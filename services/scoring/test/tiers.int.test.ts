import { randomUUID } from 'node:crypto';
import type { Principal } from '@crm/domain';
import { createOutbox, systemRuntime, type Runtime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import type { InjectOptions } from 'light-my-request';
import type { ScoringDb } from '../src/db/tables';
import { DEFAULT_TIER_SET } from '../src/tiers/tier-set.rules';
import { assignTiers } from '../src/tiers/tier-assignment.service';
import { admin, as, batchJob, dealerPrincipal, startScoring, type ScoringHarness } from './harness';

const DAY = 86_400_000;
const sales: Principal = { kind: 'staff', subject: 'sales-1', roles: ['sales'] };
const agent: Principal = { kind: 'staff', subject: 'agent-1', roles: ['agent'] };

let h: ScoringHarness;
let db: ScoringDb;
/** A clock the tests move by hand; ids as usual. */
let clock = Date.now();
const runtime: Runtime = { now: () => new Date(clock), newId: () => systemRuntime.newId() };
const context = { outbox: createOutbox('/crm/scoring', runtime), runtime, graceDays: 30 };

beforeAll(async () => {
  h = await startScoring();
  db = h.db.withSchema('scoring') as unknown as ScoringDb;
});
afterAll(async () => {
  await h?.close();
});

const inject = (options: InjectOptions) => h.service.app.inject(options);
const assign = (customerIds?: string[]) => db.transaction().execute((trx) => assignTiers(trx, context, customerIds));
const setRevenue = async (customerId: string, revenue: number) =>
  sql`insert into scoring.customer_score (customer_id, revenue, scored_at) values (${customerId}, ${revenue}, now())
      on conflict (customer_id) do update set revenue = excluded.revenue`.execute(h.db);
const tierOf = async (customerId: string) => (await db.selectFrom('customer_score').select('tier').where('customer_id', '=', customerId).executeTakeFirst())?.tier;
const historyOf = async (customerId: string) =>
  (await db.selectFrom('tier_history').select(['from_tier', 'to_tier', 'reason']).where('customer_id', '=', customerId).orderBy('id').execute()).map((r) => [r.from_tier, r.to_tier, r.reason]);
const tierEvents = (customerId: string) => h.scoringEvents.filter((e) => e.type === 'crm.scoring.tier-changed.v1' && e.subject === customerId).map((e) => e.data);
const awaitTierEvents = (customerId: string, count: number) =>
  eventually(`${count} tier-changed events for ${customerId}`, async () => (tierEvents(customerId).length >= count ? tierEvents(customerId) : undefined));

describe('the tier set', () => {
  it('is seeded with the default set on first read, top tier first, with an ETag', async () => {
    const res = await inject({ method: 'GET', url: '/v1/tiers', headers: as(dealerPrincipal(randomUUID())) });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.json().items).toEqual(DEFAULT_TIER_SET.map((tier) => ({ ...tier, rule: { ...tier.rule } })));
  });

  it('rejects overlaps and gaps with every problem and its path, writing nothing', async () => {
    const put = (items: unknown[], headers: Record<string, string> = { 'if-match': '"1"' }) => inject({ method: 'PUT', url: '/v1/tiers', headers: as(admin, headers), payload: { items } });
    const overlap = await put([
      { name: 'VIP', rank: 1, rule: { field: 'revenue', min: 500_000 } },
      { name: 'Gold', rank: 2, rule: { field: 'revenue', min: 100_000, max: 600_000 } },
      { name: 'Regular', rank: 3, rule: { field: 'revenue', max: 100_000 } },
    ]);
    expect(overlap.statusCode).toBe(422);
    expect(overlap.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(overlap.json().type).toBe('urn:crm:problem:invalid-tier-set');
    expect(overlap.json().errors).toEqual([{ field: 'body.items[1].rule.max', message: expect.stringMatching(/overlaps VIP.*\(overlap\)/) }]);

    const gap = await put([
      { name: 'VIP', rank: 1, rule: { field: 'revenue', min: 500_000 } },
      { name: 'Gold', rank: 2, rule: { field: 'revenue', min: 100_000, max: 400_000 } },
      { name: 'Regular', rank: 3, rule: { field: 'revenue', max: 100_000, colour: 'red' } },
    ]);
    expect(gap.statusCode).toBe(422);
    expect(gap.json().errors).toEqual([{ field: 'body.items[2].rule.colour', message: 'is not allowed here' }]);
    const gapOnly = await put([
      { name: 'VIP', rank: 1, rule: { field: 'revenue', min: 500_000 } },
      { name: 'Gold', rank: 2, rule: { field: 'revenue', min: 100_000, max: 400_000 } },
      { name: 'Regular', rank: 3, rule: { field: 'revenue', max: 90_000 } },
    ]);
    expect(gapOnly.statusCode).toBe(422);
    expect(gapOnly.json().errors.map((e: { field: string; message: string }) => [e.field, /\(gap\)/.test(e.message)])).toEqual([
      ['body.items[1].rule.max', true],
      ['body.items[2].rule.max', true],
    ]);

    const after = await inject({ method: 'GET', url: '/v1/tiers', headers: as(admin) });
    expect(after.headers.etag).toBe('"1"');
    expect(after.json().items.map((t: { name: string }) => t.name)).toEqual(['VIP', 'Gold', 'Silver', 'Bronze', 'Regular']);
  });

  it('replaces the set only with the current ETag, and only for admins', async () => {
    const items = [...DEFAULT_TIER_SET].reverse();
    const put = (headers: Record<string, string>, principal = admin) => inject({ method: 'PUT', url: '/v1/tiers', headers: as(principal, headers), payload: { items } });
    expect((await put({})).statusCode).toBe(428);
    expect((await put({ 'if-match': '"7"' })).statusCode).toBe(412);
    expect((await put({ 'if-match': '"1"' }, dealerPrincipal(randomUUID()))).statusCode).toBe(403);
    expect((await put({ 'if-match': '"1"' }, sales)).statusCode).toBe(403);
    const ok = await put({ 'if-match': '"1"' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(ok.json().items.map((t: { name: string }) => t.name)).toEqual(['VIP', 'Gold', 'Silver', 'Bronze', 'Regular']);
    expect((await inject({ method: 'GET', url: '/v1/tiers', headers: as(batchJob) })).headers.etag).toBe('"2"');
  });
});

describe('assignTiers', () => {
  it('assigns rule tiers set-based, with history and tier-changed events', async () => {
    const [vip, bronze, regular] = [randomUUID(), randomUUID(), randomUUID()];
    await setRevenue(vip, 600_000);
    await setRevenue(bronze, 20_000);
    await setRevenue(regular, 0);
    expect((await assign()).changed).toBeGreaterThanOrEqual(3);
    expect([await tierOf(vip), await tierOf(bronze), await tierOf(regular)]).toEqual(['VIP', 'Bronze', 'Regular']);
    expect(await historyOf(vip)).toEqual([[null, 'VIP', 'rules']]);
    expect(await awaitTierEvents(vip, 1)).toEqual([{ customerId: vip, from: null, to: 'VIP', reason: 'rules' }]);
    expect(await awaitTierEvents(bronze, 1)).toEqual([{ customerId: bronze, from: null, to: 'Bronze', reason: 'rules' }]);
    // Nothing changed: nothing written.
    expect((await assign([vip, bronze, regular])).changed).toBe(0);

    // An upgrade applies at once.
    await setRevenue(bronze, 250_000);
    expect((await assign([bronze])).changed).toBe(1);
    expect(await tierOf(bronze)).toBe('Gold');
    expect(await awaitTierEvents(bronze, 2)).toEqual([expect.anything(), { customerId: bronze, from: 'Bronze', to: 'Gold', reason: 'rules' }]);
  });

  it('holds a downgrade for the grace period; a recovery clears it', async () => {
    const id = randomUUID();
    await setRevenue(id, 600_000);
    await assign([id]);
    const pending = () => db.selectFrom('tier_downgrade_pending').selectAll().where('customer_id', '=', id).executeTakeFirst();

    await setRevenue(id, 100_000);
    clock += DAY;
    expect((await assign([id])).changed).toBe(0);
    expect(await tierOf(id)).toBe('VIP');
    expect(await pending()).toEqual(expect.objectContaining({ candidate_tier: 'Silver' }));

    await setRevenue(id, 700_000);
    clock += DAY;
    await assign([id]);
    expect(await pending()).toBeUndefined();
    expect(await tierOf(id)).toBe('VIP');

    await setRevenue(id, 100_000);
    clock += DAY;
    const since = clock;
    await assign([id]);
    await setRevenue(id, 30_000);
    clock = since + 29 * DAY;
    await assign([id]);
    expect(await tierOf(id)).toBe('VIP');
    expect(await pending()).toEqual({ customer_id: id, candidate_tier: 'Bronze', since: new Date(since) });

    clock = since + 30 * DAY;
    expect((await assign([id])).changed).toBe(1);
    expect(await tierOf(id)).toBe('Bronze');
    expect(await pending()).toBeUndefined();
    expect(await historyOf(id)).toEqual([
      [null, 'VIP', 'rules'],
      ['VIP', 'Bronze', 'grace-period-ended'],
    ]);
    expect((await awaitTierEvents(id, 2))[1]).toEqual({ customerId: id, from: 'VIP', to: 'Bronze', reason: 'grace-period-ended' });
  });
});

describe('manual overrides', () => {
  const override = (customerId: string, payload: object, principal: Principal = sales) =>
    inject({ method: 'PUT', url: `/v1/customers/${customerId}/tier-override`, headers: as(principal), payload });

  it('win over the rules at once and revert when they expire', async () => {
    const id = randomUUID();
    await setRevenue(id, 5_000);
    await assign([id]);
    clock = Math.max(clock, Date.now());
    const expiresAt = new Date(clock + 3_600_000).toISOString();
    const res = await override(id, { tier: 'VIP', reason: 'strategic account', expiresAt });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(expect.objectContaining({ customerId: id, tier: 'VIP', expiresAt, createdBy: 'sales-1', currentTier: 'VIP' }));
    expect(await tierOf(id)).toBe('VIP');

    await setRevenue(id, 1_000);
    await assign([id]);
    expect(await tierOf(id)).toBe('VIP');

    clock += 2 * 3_600_000;
    expect((await assign([id])).changed).toBe(1);
    expect(await tierOf(id)).toBe('Regular');
    expect(await db.selectFrom('tier_override').selectAll().where('customer_id', '=', id).executeTakeFirst()).toBeUndefined();
    expect(await historyOf(id)).toEqual([
      [null, 'Regular', 'rules'],
      ['Regular', 'VIP', 'override'],
      ['VIP', 'Regular', 'override-expired'],
    ]);
    expect((await awaitTierEvents(id, 3)).map((e) => (e as { reason: string }).reason)).toEqual(['rules', 'override', 'override-expired']);
  });

  it('end at once on DELETE; only admins and sales set them, to tiers that exist', async () => {
    const id = randomUUID();
    await setRevenue(id, 300_000);
    await assign([id]);
    expect((await override(id, { tier: 'Platinum', reason: 'x' })).json().errors).toEqual([{ field: 'body.tier', message: expect.stringMatching(/must be one of/) }]);
    expect((await override(id, { tier: 'VIP', reason: 'x', expiresAt: '2001-01-01T00:00:00Z' })).statusCode).toBe(422);
    expect((await override(id, { tier: 'VIP', reason: 'x' }, dealerPrincipal(randomUUID()))).statusCode).toBe(403);
    expect((await override(id, { tier: 'VIP', reason: 'x' }, agent)).statusCode).toBe(403);
    expect((await override(randomUUID(), { tier: 'VIP', reason: 'x' })).statusCode).toBe(404);

    expect((await override(id, { tier: 'Bronze', reason: 'payment issues' }, admin)).json().currentTier).toBe('Bronze');
    const removed = await inject({ method: 'DELETE', url: `/v1/customers/${id}/tier-override`, headers: as(sales) });
    expect(removed.statusCode).toBe(204);
    expect(await tierOf(id)).toBe('Gold');
    expect((await inject({ method: 'DELETE', url: `/v1/customers/${id}/tier-override`, headers: as(sales) })).statusCode).toBe(404);

    // History, newest first, a page at a time.
    const page = (cursor?: string) =>
      inject({ method: 'GET', url: `/v1/customers/${id}/tier-history?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: as(agent) }).then((r) => r.json());
    const first = await page();
    expect(first.items.map((e: { from: string | null; to: string; reason: string }) => [e.from, e.to, e.reason])).toEqual([
      ['Bronze', 'Gold', 'override-expired'],
      ['Gold', 'Bronze', 'override'],
    ]);
    const second = await page(first.nextCursor);
    expect(second).toEqual({ items: [expect.objectContaining({ from: null, to: 'Gold', reason: 'rules' })], nextCursor: null });
  });
});

describe('a new tier set', () => {
  it('applies at once: upgrades now, downgrades after the grace period, segments follow', async () => {
    const customer = randomUUID();
    await sql`insert into scoring.customer (id, kind, lifecycle_stage, consents, updated_at) values (${customer}, 'person', 'active', '{}', now())`.execute(h.db);
    await setRevenue(customer, 300_000);
    await assign([customer]);
    expect(await tierOf(customer)).toBe('Gold');
    const segment = await inject({ method: 'POST', url: '/v1/segments', headers: as(admin), payload: { name: `VIPs ${customer}`, rule: { field: 'tier', op: 'eq', value: 'VIP' } } });
    expect(segment.statusCode).toBe(201);
    const members = async () => (await inject({ method: 'GET', url: `/v1/segments/${segment.json().id}/members`, headers: as(admin) })).json().items.map((m: { customerId: string }) => m.customerId);
    expect(await members()).not.toContain(customer);

    const put = async (items: unknown[]) => {
      const etag = (await inject({ method: 'GET', url: '/v1/tiers', headers: as(admin) })).headers.etag as string;
      return inject({ method: 'PUT', url: '/v1/tiers', headers: as(admin, { 'if-match': etag }), payload: { items } });
    };
    const lowerVip = DEFAULT_TIER_SET.map((tier) =>
      tier.name === 'VIP' ? { ...tier, rule: { field: 'revenue', min: 250_000 } } : tier.name === 'Gold' ? { ...tier, rule: { field: 'revenue', min: 200_000, max: 250_000 } } : tier,
    );
    expect((await put(lowerVip)).statusCode).toBe(200);
    expect(await tierOf(customer)).toBe('VIP');
    expect((await awaitTierEvents(customer, 2)).at(-1)).toEqual({ customerId: customer, from: 'Gold', to: 'VIP', reason: 'rules' });
    expect(await members()).toContain(customer);

    // Back to the default set: a downgrade, so the customer keeps VIP through the grace period.
    expect((await put([...DEFAULT_TIER_SET])).statusCode).toBe(200);
    expect(await tierOf(customer)).toBe('VIP');
    expect(await db.selectFrom('tier_downgrade_pending').select('candidate_tier').where('customer_id', '=', customer).executeTakeFirst()).toEqual({ candidate_tier: 'Gold' });
  });
});
