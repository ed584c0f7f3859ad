import { randomUUID } from 'node:crypto';
import { CustomerEvents } from '@crm/domain';
import { cloudEventOf, createOutbox, systemRuntime } from '@crm/platform';
import { eventually, seededRandom } from '@crm/testkit';
import { sql } from 'kysely';
import type { ScoringDb } from '../src/db/tables';
import { recomputeScores, rescoreCustomers } from '../src/scores/score-computation.service';
import { assignTiers } from '../src/tiers/tier-assignment.service';
import { admin, as, batchJob, snapshot, startScoring, type ScoringHarness } from './harness';

const NOW = new Date('2026-10-01T00:00:00Z');
const WINDOW_DAYS = 365;
const DAY = 86_400_000;

interface Tx {
  customerId: string;
  externalId: string;
  at: number;
  type: 'sale' | 'return';
  cents: number;
  category: string | undefined;
}

const random = seededRandom(20261123);
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
const customers = Array.from({ length: 300 }, () => randomUUID());
const transactions: Tx[] = [];
customers.forEach((customerId, c) => {
  if (c % 15 === 0) return; // no purchases at all
  const count = 1 + Math.floor(random() * 7);
  // Every 10th customer bought only before the window.
  const oldest = c % 10 === 1 ? 700 : 500;
  const newest = c % 10 === 1 ? 400 : 1;
  for (let i = 0; i < count; i++) {
    const daysAgo = newest + Math.floor(random() * (oldest - newest));
    const type = random() < 0.1 ? 'return' : 'sale';
    transactions.push({
      customerId,
      externalId: `G-${transactions.length + 1}`,
      // Whole days at 10:00 UTC: many equal recencies.
      at: NOW.getTime() - daysAgo * DAY + 10 * 3_600_000 - DAY,
      type,
      cents: pick([1000, 2500, 4000, 9999]),
      category: pick(['books', 'music', 'films', undefined]),
    });
  }
});

let h: ScoringHarness;
let db: ScoringDb;

beforeAll(async () => {
  h = await startScoring();
  db = h.db.withSchema('scoring') as unknown as ScoringDb;
  const definition = CustomerEvents.created;
  await h.bus.publish(
    definition.topic,
    customers.map((id) => {
      const event = cloudEventOf('/crm/customers', systemRuntime, definition, { customer: snapshot(id) });
      return { key: event.subject, value: JSON.stringify(event) };
    }),
  );
  await eventually('the generated customers in the projection', async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from scoring.customer`.execute(h.db);
    return rows[0]?.n === customers.length ? true : undefined;
  });
  const items = transactions.map((t) => ({
    sourceSystem: 'gen',
    externalId: t.externalId,
    customer: { id: t.customerId },
    occurredAt: new Date(t.at).toISOString(),
    type: t.type,
    amount: { amount: (t.cents / 100).toFixed(2), currency: 'CNY' },
    quantity: 1,
    ...(t.category ? { category: t.category } : {}),
  }));
  const res = await h.service.app.inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items } });
  expect(res.json().summary.inserted).toBe(transactions.length);
  // The customers the ingest queued are rescored (at the real time) before the tests score them at NOW.
  await h.service.rescoreWorker.drain();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** ntile(5) as SQL defines it, over rows already sorted: the first n mod 5 groups are one larger. */
function ntile5<T>(sorted: T[]): Map<T, number> {
  const size = Math.floor(sorted.length / 5);
  const larger = sorted.length % 5;
  const result = new Map<T, number>();
  let index = 0;
  for (let bucket = 1; bucket <= 5; bucket++) {
    const n = size + (bucket <= larger ? 1 : 0);
    for (let i = 0; i < n; i++) result.set(sorted[index++] as T, bucket);
  }
  return result;
}

/** The oracle, in TS straight from the generated transactions (not from the database). */
function oracle() {
  const since = NOW.getTime() - WINDOW_DAYS * DAY;
  const stats = customers.map((id) => {
    const mine = transactions.filter((t) => t.customerId === id && t.at <= NOW.getTime());
    const sales = mine.filter((t) => t.type === 'sale');
    const net = (ts: Tx[]) => ts.reduce((sum, t) => sum + (t.type === 'sale' ? t.cents : -t.cents), 0);
    const windowed = mine.filter((t) => t.at > since);
    const windowSales = windowed.filter((t) => t.type === 'sale');
    const perCategory = new Map<string, number>();
    for (const t of sales) perCategory.set(t.category ?? '', (perCategory.get(t.category ?? '') ?? 0) + 1);
    const k = perCategory.size;
    const entropy = -[...perCategory.values()].reduce((sum, n) => sum + (n / sales.length) * Math.log(n / sales.length), 0);
    return {
      id,
      revenueCents: net(mine),
      orders: sales.length,
      first: sales.length ? Math.min(...sales.map((t) => t.at)) : null,
      last: sales.length ? Math.max(...sales.map((t) => t.at)) : null,
      recencyDays: windowSales.length ? Math.floor((NOW.getTime() - Math.max(...windowSales.map((t) => t.at))) / DAY) : null,
      frequency: windowSales.length,
      monetaryCents: net(windowed),
      needs: sales.length === 0 ? null : k === 1 ? 0 : entropy / Math.log(k),
    };
  });
  const ranked = stats.filter((s) => s.frequency > 0);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const r = ntile5([...ranked].sort((a, b) => (b.recencyDays ?? 0) - (a.recencyDays ?? 0) || byId(a, b)));
  const f = ntile5([...ranked].sort((a, b) => a.frequency - b.frequency || byId(a, b)));
  const m = ntile5([...ranked].sort((a, b) => a.monetaryCents - b.monetaryCents || byId(a, b)));
  const values = stats.filter((s) => s.needs !== null).map((s) => s.revenueCents).sort((a, b) => a - b);
  const mid = (values.length - 1) / 2;
  const median = ((values[Math.floor(mid)] ?? 0) + (values[Math.ceil(mid)] ?? 0)) / 2;
  return stats.map((s) => ({
    ...s,
    r: r.get(s) ?? null,
    f: f.get(s) ?? null,
    m: m.get(s) ?? null,
    quadrant: s.needs === null ? null : `${s.revenueCents > median ? 'high' : 'low'}/${s.needs > 0.5 ? 'high' : 'low'}`,
  }));
}

const QUADRANTS: Record<string, string> = { 'high/high': 'one_to_one', 'high/low': 'loyalty', 'low/high': 'niche', 'low/low': 'mass' };

async function scores() {
  const rows = await db.selectFrom('customer_score').selectAll().execute();
  return new Map(rows.map((row) => [row.customer_id, row]));
}

describe('recomputeScores against an independent oracle', () => {
  it('matches RFM quintiles, historical value, needs and quadrant for every customer', async () => {
    const { scored } = await db.transaction().execute((trx) => recomputeScores(trx, { now: NOW, windowDays: WINDOW_DAYS }));
    expect(scored).toBe(customers.length);
    const actual = await scores();
    const expected = oracle();
    // The data set has the cases the rules are about.
    expect(expected.filter((e) => e.r === null && e.orders > 0).length).toBeGreaterThan(10);
    expect(expected.filter((e) => e.orders === 0).length).toBeGreaterThan(10);
    expect(new Set(expected.filter((e) => e.f !== null).map((e) => e.frequency)).size).toBeLessThan(10);
    for (const e of expected) {
      const row = actual.get(e.id);
      expect({ id: e.id, r: row?.recency, f: row?.frequency, m: row?.monetary, cell: row?.rfm_cell }).toEqual({
        id: e.id,
        r: e.r,
        f: e.f,
        m: e.m,
        cell: e.r === null ? null : `${e.r}${e.f}${e.m}`,
      });
      expect([Number(row?.revenue).toFixed(2), row?.order_count]).toEqual([(e.revenueCents / 100).toFixed(2), e.orders]);
      expect(row?.first_purchase_at ? new Date(row.first_purchase_at).getTime() : null).toBe(e.first);
      expect(row?.last_purchase_at ? new Date(row.last_purchase_at).getTime() : null).toBe(e.last);
      expect(row?.average_order_value === null ? null : Number(row?.average_order_value).toFixed(2)).toBe(e.orders ? (e.revenueCents / 100 / e.orders).toFixed(2) : null);
      if (e.needs === null) expect(row?.needs_diversity).toBeNull();
      else expect(row?.needs_diversity).toBeCloseTo(e.needs, 9);
      expect(row?.quadrant ?? null).toBe(e.quadrant === null ? null : QUADRANTS[e.quadrant]);
      expect(row?.clv).toBeNull();
    }
  });

  it('rescoreCustomers rewrites only the given customers, placed among the whole base', async () => {
    const target = customers[3] as string;
    const before = await scores();
    const res = await h.service.app.inject({
      method: 'POST',
      url: '/v1/transactions/batch',
      headers: as(batchJob),
      payload: { items: [{ sourceSystem: 'gen', externalId: 'G-extra', customer: { id: target }, occurredAt: new Date(NOW.getTime() - 2 * DAY).toISOString(), type: 'sale', amount: { amount: '5000.00', currency: 'CNY' }, quantity: 1 }] },
    });
    expect(res.json().summary.inserted).toBe(1);
    await h.service.rescoreWorker.drain();
    const later = new Date(NOW.getTime() + 1000);
    expect(await db.transaction().execute((trx) => rescoreCustomers(trx, [target], { now: later, windowDays: WINDOW_DAYS }))).toEqual({ scored: 1 });
    const after = await scores();
    expect(after.get(target)?.monetary).toBe(5);
    expect(after.get(target)?.recency).toBe(5);
    const untouched = customers.filter((id) => id !== target && before.get(id)?.scored_at.getTime() === after.get(id)?.scored_at.getTime());
    expect(untouched).toHaveLength(customers.length - 1);

    // A full run at the same time gives the target the same row.
    await db.transaction().execute((trx) => recomputeScores(trx, { now: later, windowDays: WINDOW_DAYS }));
    const full = (await scores()).get(target);
    expect({ ...full, scored_at: null }).toEqual({ ...after.get(target), scored_at: null });
  });

  it('writes only the rows whose scores changed', async () => {
    const recompute = (now: Date) => db.transaction().execute((trx) => recomputeScores(trx, { now, windowDays: WINDOW_DAYS }));
    await recompute(new Date(NOW.getTime() + 2000));
    const first = await scores();
    // Nothing changed since: every customer is scored again, no row is rewritten (scored_at included).
    expect(await recompute(new Date(NOW.getTime() + 3000))).toEqual({ scored: customers.length });
    expect(await scores()).toEqual(first);

    // Two weeks on, recency and the window move: exactly the rows with a changed value get the new scored_at.
    const later = new Date(NOW.getTime() + 14 * DAY);
    await recompute(later);
    const third = await scores();
    const valuesOf = (row: Record<string, unknown> | undefined) => ({ ...row, scored_at: null });
    const changed = customers.filter((id) => JSON.stringify(valuesOf(third.get(id))) !== JSON.stringify(valuesOf(first.get(id))));
    expect(changed.length).toBeGreaterThan(0);
    for (const id of customers) {
      expect([id, third.get(id)?.scored_at.getTime()]).toEqual([id, (changed.includes(id) ? later : first.get(id)?.scored_at)?.getTime()]);
    }
  });

  it('assigns tiers equal to an independent computation of the ranges', async () => {
    await db.transaction().execute((trx) => recomputeScores(trx, { now: NOW, windowDays: WINDOW_DAYS }));
    // Thresholds inside this data set's revenues (CNY), so every tier is populated.
    const bounds = [['Platinum', 200], ['Gold', 100], ['Silver', 50], ['Bronze', 20]] as const;
    const items = [
      ...bounds.map(([name, min], i) => ({ name, rank: i + 1, rule: { field: 'revenue', min, ...(i > 0 ? { max: bounds[i - 1]![1] } : {}) } })),
      { name: 'Basic', rank: 5, rule: { field: 'revenue', max: 20 } },
    ];
    const current = await h.service.app.inject({ method: 'GET', url: '/v1/tiers', headers: as(admin) });
    const put = await h.service.app.inject({ method: 'PUT', url: '/v1/tiers', headers: as(admin, { 'if-match': current.headers.etag as string }), payload: { items } });
    expect(put.statusCode).toBe(200);
    await db.transaction().execute((trx) => assignTiers(trx, { outbox: createOutbox('/crm/scoring', systemRuntime), runtime: systemRuntime, graceDays: 0 }));
    const tierOf = (revenueCents: number) => bounds.find(([, min]) => revenueCents >= min * 100)?.[0] ?? 'Basic';
    const actual = await scores();
    // The oracle's revenues, plus the 5,000.00 sale the previous test added for customers[3].
    const expected = oracle().map((e) => ({ ...e, revenueCents: e.revenueCents + (e.id === customers[3] ? 500_000 : 0) }));
    expect(new Set(expected.map((e) => tierOf(e.revenueCents))).size).toBe(5);
    for (const e of expected) expect({ id: e.id, tier: actual.get(e.id)?.tier }).toEqual({ id: e.id, tier: tierOf(e.revenueCents) });
  });
});
