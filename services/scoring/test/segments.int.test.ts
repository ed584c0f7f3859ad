import { randomUUID } from 'node:crypto';
import type { Principal } from '@crm/domain';
import { createOutbox, systemRuntime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import type { InjectOptions } from 'light-my-request';
import type { ScoringDb } from '../src/db/tables';
import { refreshSegments } from '../src/segments/segment-membership.service';
import { admin, as, batchJob, dealerPrincipal, startScoring, type ScoringHarness } from './harness';

const marketing: Principal = { kind: 'staff', subject: 'marketer-1', roles: ['marketing'] };
const analyst: Principal = { kind: 'staff', subject: 'analyst-1', roles: ['analyst'] };

let h: ScoringHarness;
let db: ScoringDb;
const context = { outbox: createOutbox('/crm/scoring', systemRuntime), runtime: systemRuntime };

beforeAll(async () => {
  h = await startScoring();
  db = h.db.withSchema('scoring') as unknown as ScoringDb;
});
afterAll(async () => {
  await h?.close();
});

const inject = (options: InjectOptions) => h.service.app.inject(options);
/** Customers in the projection with a score: `region` keeps each test's customers apart. */
async function customers(region: string, revenues: number[]): Promise<string[]> {
  const ids = revenues.map(() => randomUUID()).sort();
  for (const [i, id] of ids.entries()) {
    await sql`insert into scoring.customer (id, kind, lifecycle_stage, city, region, country, updated_at) values (${id}, 'person', 'active', 'Shanghai', ${region}, 'CN', now())`.execute(h.db);
    await sql`insert into scoring.customer_score (customer_id, revenue, scored_at) values (${id}, ${revenues[i]}, now())`.execute(h.db);
  }
  return ids;
}
const bigSpendersIn = (region: string) => ({ all: [{ field: 'region', op: 'eq', value: region }, { field: 'revenue', op: 'gte', value: 100_000 }] });
const create = (payload: object, principal: Principal = marketing, headers: Record<string, string> = {}) =>
  inject({ method: 'POST', url: '/v1/segments', headers: as(principal, headers), payload });
const membershipEvents = (segmentId: string, kind: 'entered' | 'left') =>
  h.scoringEvents
    .filter((e) => e.type === `crm.scoring.segment-${kind}.v1` && (e.data as { segmentId: string }).segmentId === segmentId)
    .map((e) => (e.data as { customerId: string }).customerId)
    .sort();
const awaitMembershipEvents = (segmentId: string, kind: 'entered' | 'left', count: number) =>
  eventually(`${count} segment-${kind} events`, async () => (membershipEvents(segmentId, kind).length >= count ? membershipEvents(segmentId, kind) : undefined));

describe('segments', () => {
  it('reject a bad rule with every error path', async () => {
    const res = await create({ name: 'bad', rule: { all: [{ field: 'shoeSize', op: 'eq', value: 42 }, { field: 'tier', op: 'eq', value: 'Platinum' }, { field: 'age', op: 'gt', value: 'old' }] } });
    expect(res.statusCode).toBe(422);
    expect(res.json().type).toBe('urn:crm:problem:invalid-rule');
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(['body.rule.all[0].field', 'body.rule.all[1].value', 'body.rule.all[2].value']);
    expect((await db.selectFrom('segment').select('id').execute()).length).toBe(0);
    const preview = await inject({ method: 'POST', url: '/v1/segments/preview', headers: as(marketing), payload: { rule: { not: [] } } });
    expect(preview.statusCode).toBe(422);
    expect(preview.json().errors[0].field).toMatch(/^body\.rule/);
  });

  it('preview counts what a direct count finds, and saves nothing', async () => {
    const region = `R-${randomUUID()}`;
    await customers(region, [150_000, 90_000, 500_000, 100_000, 10]);
    const res = await inject({ method: 'POST', url: '/v1/segments/preview', headers: as(marketing), payload: { rule: bigSpendersIn(region) } });
    expect(res.statusCode).toBe(200);
    const direct = await sql<{ n: number }>`
      select cast(count(*) as integer) as n from scoring.customer c join scoring.customer_score s on s.customer_id = c.id
      where c.region = ${region} and s.revenue >= 100000`.execute(h.db);
    expect(res.json().count).toBe(direct.rows[0]?.n);
    expect(res.json().count).toBe(3);
    expect(res.json().sample).toHaveLength(3);
    expect((await db.selectFrom('segment').select('id').execute()).length).toBe(0);
  });

  it('materialise members on create, emit entered/left, and follow score changes', async () => {
    const region = `R-${randomUUID()}`;
    const [a, b, c, d] = await customers(region, [200_000, 300_000, 400_000, 5_000]) as [string, string, string, string];
    const res = await create({ name: `Big spenders ${region}`, rule: bigSpendersIn(region) }, marketing, { 'idempotency-key': `k-${region}` });
    expect(res.statusCode).toBe(201);
    const segment = res.json();
    expect(segment).toEqual(expect.objectContaining({ memberCount: 3, version: 1, evaluatedAt: expect.any(String) }));
    expect(res.headers.location).toBe(`/v1/segments/${segment.id}`);
    const replay = await create({ name: `Big spenders ${region}`, rule: bigSpendersIn(region) }, marketing, { 'idempotency-key': `k-${region}` });
    expect(replay.json().id).toBe(segment.id);
    expect((await create({ name: `Big spenders ${region}`, rule: bigSpendersIn(region) })).statusCode).toBe(409);
    expect(await awaitMembershipEvents(segment.id, 'entered', 3)).toEqual([a, b, c]);

    // Members, a page at a time (staff and integrations only).
    const page = (cursor?: string, principal: Principal = batchJob) =>
      inject({ method: 'GET', url: `/v1/segments/${segment.id}/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: as(principal) });
    const first = (await page()).json();
    expect(first.items.map((m: { customerId: string }) => m.customerId)).toEqual([a, b]);
    const second = (await page(first.nextCursor, analyst)).json();
    expect(second).toEqual({ items: [{ customerId: c, enteredAt: expect.any(String) }], nextCursor: null });
    expect((await page(undefined, dealerPrincipal(randomUUID()))).statusCode).toBe(403);

    // Scores change; the run pipeline refreshes for the customers it rescored.
    await sql`update scoring.customer_score set revenue = 1000 where customer_id = ${a}`.execute(h.db);
    await sql`update scoring.customer_score set revenue = 120000 where customer_id = ${d}`.execute(h.db);
    const refreshed = await db.transaction().execute((trx) => refreshSegments(trx, context, { customerIds: [a, b, d] }));
    expect(refreshed).toEqual({ entered: 1, left: 1 });
    expect(await awaitMembershipEvents(segment.id, 'left', 1)).toEqual([a]);
    expect(await awaitMembershipEvents(segment.id, 'entered', 4)).toEqual([a, b, c, d].sort());
    const after = (await inject({ method: 'GET', url: `/v1/segments/${segment.id}`, headers: as(analyst) })).json();
    expect(after.memberCount).toBe(3);
    const members = await db.selectFrom('segment_member').select('customer_id').where('segment_id', '=', segment.id).orderBy('customer_id').execute();
    expect(members.map((m) => m.customer_id)).toEqual([b, c, d]);
    // A refresh with nothing changed changes nothing.
    expect(await db.transaction().execute((trx) => refreshSegments(trx, context))).toEqual({ entered: 0, left: 0 });
  });

  it('re-materialise on a rule change (If-Match), lose members on delete, and keep their tiers from being removed', async () => {
    const region = `R-${randomUUID()}`;
    const [small, big] = await customers(region, [1_000, 900_000]) as [string, string];
    const created = (await create({ name: `Region ${region}`, description: 'everyone here', rule: { field: 'region', op: 'eq', value: region } }, admin)).json();
    expect(created.memberCount).toBe(2);
    const patch = (headers: Record<string, string>, payload: object) => inject({ method: 'PATCH', url: `/v1/segments/${created.id}`, headers: as(marketing, headers), payload });
    const rule = { all: [{ field: 'region', op: 'eq', value: region }, { field: 'revenue', op: 'gte', value: 10_000 }] };
    expect((await patch({}, { rule })).statusCode).toBe(428);
    expect((await patch({ 'if-match': '"5"' }, { rule })).statusCode).toBe(412);
    expect((await patch({ 'if-match': '"1"' }, { rule: { field: 'region', op: 'gt', value: 1 } })).statusCode).toBe(422);
    const changed = await patch({ 'if-match': '"1"' }, { rule, name: `Big in ${region}` });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).toBe('"2"');
    expect(changed.json()).toEqual(expect.objectContaining({ name: `Big in ${region}`, memberCount: 1, rule }));
    expect(await awaitMembershipEvents(created.id, 'left', 1)).toEqual([small]);

    // Lists page by creation order.
    const list = (await inject({ method: 'GET', url: '/v1/segments?limit=200', headers: as(analyst) })).json();
    expect(list.items.map((s: { id: string }) => s.id)).toContain(created.id);

    // A tier a segment names cannot be removed from the tier set.
    const tierSegment = (await create({ name: `Gold ${region}`, rule: { field: 'tier', op: 'eq', value: 'Gold' } })).json();
    const tiers = await inject({ method: 'GET', url: '/v1/tiers', headers: as(admin) });
    const withoutGold = tiers.json().items.filter((t: { name: string }) => t.name !== 'Gold').map((t: { name: string; rank: number; rule: object }) =>
      t.name === 'Silver' ? { ...t, rule: { field: 'revenue', min: 50_000, max: 500_000 } } : t,
    );
    const removal = await inject({ method: 'PUT', url: '/v1/tiers', headers: as(admin, { 'if-match': tiers.headers.etag as string }), payload: { items: withoutGold } });
    expect(removal.statusCode).toBe(409);
    expect(removal.json().detail).toMatch(new RegExp(`"Gold".*segment "Gold ${region}"`));

    const removed = await inject({ method: 'DELETE', url: `/v1/segments/${created.id}`, headers: as(marketing) });
    expect(removed.statusCode).toBe(204);
    expect(await awaitMembershipEvents(created.id, 'left', 2)).toEqual([big, small].sort());
    expect((await inject({ method: 'GET', url: `/v1/segments/${created.id}`, headers: as(analyst) })).statusCode).toBe(404);
    expect((await inject({ method: 'DELETE', url: `/v1/segments/${tierSegment.id}`, headers: as(marketing, { 'if-match': '"9"' }) })).statusCode).toBe(412);
  });

  it('are not for dealers, nor managed by other staff', async () => {
    const dealer = dealerPrincipal(randomUUID());
    const rule = { field: 'region', op: 'eq', value: 'East' };
    expect((await create({ name: 'x', rule }, dealer)).statusCode).toBe(403);
    expect((await create({ name: 'x', rule }, analyst)).statusCode).toBe(403);
    expect((await create({ name: 'x', rule }, batchJob)).statusCode).toBe(403);
    expect((await inject({ method: 'GET', url: '/v1/segments', headers: as(dealer) })).statusCode).toBe(403);
    expect((await inject({ method: 'POST', url: '/v1/segments/preview', headers: as(dealer), payload: { rule } })).statusCode).toBe(403);
  });
});
