import { randomUUID } from 'node:crypto';
import { eventually } from '@crm/testkit';
import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { CUSTOMER_NOT_FOUND } from '../src/transactions/transaction-ingest.service';
import { admin, as, batchJob, dealerPrincipal, snapshot, startScoring, type ScoringHarness } from './harness';

/**
 * Dealer write isolation in scoring (issue 7 §1.1–1.3, ADR 0008), directly against the service with
 * signed dealer principals: two dealers, staff and the ERP (batch) integration.
 */
let h: ScoringHarness;
const inject = (options: InjectOptions) => h.service.app.inject(options);
const dealerA = randomUUID();
const dealerB = randomUUID();
const A = dealerPrincipal(dealerA);
const B = dealerPrincipal(dealerB);
const mineA = randomUUID();
const theirsB = randomUUID();
const movable = randomUUID();

const tx = (externalId: string, customer: unknown, overrides: Record<string, unknown> = {}) => ({
  sourceSystem: 'erp',
  externalId,
  customer,
  occurredAt: '2026-06-01T10:00:00Z',
  type: 'sale',
  amount: { amount: '100.00', currency: 'CNY' },
  quantity: 1,
  ...overrides,
});
const post = (items: unknown[], principal = batchJob) => inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(principal), payload: { items } });
const listed = async (principal = A, query = '') =>
  ((await inject({ method: 'GET', url: `/v1/transactions?limit=200${query}`, headers: as(principal) })).json().items as { externalId: string; customerId: string | null }[])
    .map((t) => t.externalId)
    .sort();
const projected = (id: string, check: (row: { dealer_id: string | null }) => boolean = () => true) =>
  eventually(`customer ${id} in the projection`, async () => {
    const row = (await sql<{ dealer_id: string | null }>`select dealer_id from scoring.customer where id = ${id}`.execute(h.db)).rows[0];
    return row && check(row) ? true : undefined;
  });
/** Everything scoring derived for a customer: what another dealer's posts must never move. */
const derived = async (id: string) => ({
  transactions: (await sql`select id, amount_base from scoring.transaction where customer_id = ${id} order by id`.execute(h.db)).rows,
  score: (await sql`select * from scoring.customer_score where customer_id = ${id}`.execute(h.db)).rows,
  tiers: (await sql`select * from scoring.tier_history where customer_id = ${id} order by id`.execute(h.db)).rows,
  segments: (await sql`select * from scoring.segment_member where customer_id = ${id}`.execute(h.db)).rows,
});

beforeAll(async () => {
  h = await startScoring();
  await h.publishCustomerEvent('created', {
    customer: snapshot(mineA, {
      dealerId: dealerA,
      externalIds: [
        { system: 'erp', id: 'CA-1' },
        // Dealer A's own `erp/SHADOW`: the ERP's `erp/SHADOW` is a different id.
        { system: 'erp', id: 'SHADOW', namespace: `dealer:${dealerA}` },
      ],
    }),
  });
  await h.publishCustomerEvent('created', { customer: snapshot(theirsB, { dealerId: dealerB, externalIds: [{ system: 'erp', id: 'CB-1' }] }) });
  await h.publishCustomerEvent('created', { customer: snapshot(movable, { dealerId: dealerA, externalIds: [{ system: 'erp', id: 'MOVE-1' }] }) });
  await Promise.all([projected(mineA), projected(theirsB), projected(movable)]);
  // The ERP's history for B's customer, scored.
  const erp = await post([tx('INV-1', { id: theirsB }), tx('INV-2', { externalId: { system: 'erp', id: 'CB-1' } }, { occurredAt: '2026-07-01T10:00:00Z' })]);
  expect(erp.json().summary.inserted).toBe(2);
  await eventually("B's customer scored", async () => ((await derived(theirsB)).score.length ? true : undefined));
});
afterAll(async () => {
  await h?.close();
});

describe('a dealer posting transactions', () => {
  it("posts for its own customers, and another dealer's or an unknown customer is one identical not-found, changing nothing", async () => {
    const before = await derived(theirsB);
    const res = await post(
      [
        tx('A-1', { id: mineA }),
        tx('A-2', { externalId: { system: 'erp', id: 'CA-1' } }),
        tx('A-3', { id: theirsB }),
        tx('A-4', { externalId: { system: 'erp', id: 'CB-1' } }),
        tx('A-5', { id: randomUUID() }),
        tx('A-6', { externalId: { system: 'erp', id: 'NOBODY' } }),
      ],
      A,
    );
    expect(res.statusCode).toBe(200);
    const { results, summary } = res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['inserted', 'inserted', 'rejected', 'rejected', 'rejected', 'rejected']);
    // The same words whatever the cause: a dealer cannot tell "another dealer's" from "nobody's".
    expect(new Set(results.slice(2).map((r: { reason: string }) => r.reason))).toEqual(new Set([CUSTOMER_NOT_FOUND]));
    expect(CUSTOMER_NOT_FOUND).toMatch(/^not-found/);
    expect(summary).toEqual({ received: 6, inserted: 2, duplicates: 0, pending: 0, rejected: 4 });
    expect(await derived(theirsB)).toEqual(before);
    const stored = await sql`select external_id, customer_id, dealer_id from scoring.transaction where external_id like 'A-%' order by external_id`.execute(h.db);
    expect(stored.rows).toEqual([
      { external_id: 'A-1', customer_id: mineA, dealer_id: dealerA },
      { external_id: 'A-2', customer_id: mineA, dealer_id: dealerA },
    ]);
  });

  it('never leaves pending rows; staff and integrations still may', async () => {
    const unknown = { externalId: { system: 'erp', id: 'LATER-1' } };
    expect((await post([tx('P-1', unknown)], A)).json().results[0]).toEqual({ index: 0, status: 'rejected', reason: CUSTOMER_NOT_FOUND });
    expect((await post([tx('P-2', unknown)])).json().results[0].status).toBe('pending');
    expect((await post([tx('P-3', unknown)], admin)).json().results[0].status).toBe('pending');
    const rows = await sql<{ external_id: string }>`select external_id from scoring.transaction where external_id like 'P-%' order by external_id`.execute(h.db);
    expect(rows.rows.map((r) => r.external_id)).toEqual(['P-2', 'P-3']);
  });

  it('refuses foreign rows in an NDJSON stream per line with the same reason', async () => {
    const before = await derived(theirsB);
    const body = [tx('N-1', { id: mineA }), tx('N-2', { id: theirsB }), tx('N-3', { externalId: { system: 'erp', id: 'CB-1' } })].map((row) => JSON.stringify(row)).join('\n');
    const res = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(A, { 'content-type': 'application/x-ndjson' }), payload: body });
    const lines = res.body.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.at(-1).summary).toEqual({ received: 3, inserted: 1, duplicates: 0, pending: 0, rejected: 2 });
    const job = (await inject({ method: 'GET', url: `/v1/ingest-jobs/${lines[0].jobId}`, headers: as(A) })).json();
    expect(job.rejectedLines).toEqual([
      { line: 2, reason: CUSTOMER_NOT_FOUND },
      { line: 3, reason: CUSTOMER_NOT_FOUND },
    ]);
    // Another dealer's ingest job does not exist for B.
    const foreignJob = await inject({ method: 'GET', url: `/v1/ingest-jobs/${lines[0].jobId}`, headers: as(B) });
    expect(foreignJob.statusCode).toBe(404);
    expect(await derived(theirsB)).toEqual(before);
  });
});

describe('external-id namespaces for transactions', () => {
  it("lets a dealer neither duplicate-out nor shadow the ERP's invoices, nor the ERP a dealer's", async () => {
    // The ERP's INV-1 exists: a dealer's INV-1 is its own invoice, not a duplicate of the ERP's.
    const dealers = await post([tx('INV-1', { id: mineA }), tx('INV-9', { id: mineA })], A);
    expect(dealers.json().results.map((r: { status: string }) => r.status)).toEqual(['inserted', 'inserted']);
    // The dealer posted INV-9 first: the ERP's INV-9 is still the ERP's sale, not a duplicate.
    const erps = await post([tx('INV-9', { id: theirsB })]);
    expect(erps.json().results[0].status).toBe('inserted');
    // Within a namespace a repeat is a duplicate, as before.
    expect((await post([tx('INV-1', { id: mineA })], A)).json().results[0].status).toBe('duplicate');
    expect((await post([tx('INV-1', { id: theirsB })])).json().results[0].status).toBe('duplicate');
    const staffView = (await inject({ method: 'GET', url: '/v1/transactions?limit=200', headers: as(admin) })).json().items as { externalId: string; namespace: string }[];
    expect(staffView.filter((t) => t.externalId === 'INV-9').map((t) => t.namespace).sort()).toEqual([`dealer:${dealerA}`, 'shared']);
    const rows = await sql<{ namespace: string; customer_id: string }>`
      select namespace, customer_id from scoring.transaction where external_id in ('INV-1', 'INV-9') order by namespace, external_id`.execute(h.db);
    expect(rows.rows).toEqual([
      { namespace: `dealer:${dealerA}`, customer_id: mineA },
      { namespace: `dealer:${dealerA}`, customer_id: mineA },
      { namespace: 'shared', customer_id: theirsB },
      { namespace: 'shared', customer_id: theirsB },
    ]);
  });

  it("resolves a dealer's own customer ids in its namespace only; the ERP's same id never lands on the dealer's customer", async () => {
    const shadow = { externalId: { system: 'erp', id: 'SHADOW' } };
    expect((await post([tx('S-1', shadow)], A)).json().results[0].status).toBe('inserted');
    expect((await post([tx('S-2', shadow)], B)).json().results[0].reason).toBe(CUSTOMER_NOT_FOUND);
    // For the ERP, erp/SHADOW is nobody yet: pending, and it stays pending when A's customer changes.
    expect((await post([tx('S-3', shadow)])).json().results[0].status).toBe('pending');
    await h.publishCustomerEvent('updated', {
      customer: snapshot(mineA, { dealerId: dealerA, city: 'Suzhou', externalIds: [{ system: 'erp', id: 'CA-1' }, { system: 'erp', id: 'SHADOW', namespace: `dealer:${dealerA}` }] }),
      changedFields: ['addresses'],
    });
    await eventually('the update projected', async () =>
      (await sql<{ city: string }>`select city from scoring.customer where id = ${mineA}`.execute(h.db)).rows[0]?.city === 'Suzhou' ? true : undefined,
    );
    const rows = await sql<{ external_id: string; customer_id: string | null }>`select external_id, customer_id from scoring.transaction where external_id like 'S-%' order by external_id`.execute(h.db);
    expect(rows.rows).toEqual([
      { external_id: 'S-1', customer_id: mineA },
      { external_id: 'S-3', customer_id: null },
    ]);
  });
});

describe('a dealer reading scoring', () => {
  it("lists only its customers' transactions, whoever booked them, by the customer's current dealer", async () => {
    // Staff book a sale of A's customer at dealer B: it is part of A's customer's history, not B's.
    await post([tx('X-1', { id: mineA }, { dealerId: dealerB }), tx('MV-1', { id: movable })]);
    const mine = await listed(A);
    expect(mine).toEqual(expect.arrayContaining(['A-1', 'A-2', 'N-1', 'INV-1', 'INV-9', 'S-1', 'X-1', 'MV-1']));
    const seen = (await inject({ method: 'GET', url: '/v1/transactions?limit=200', headers: as(A) })).json().items as { customerId: string }[];
    expect(new Set(seen.map((t) => t.customerId))).toEqual(new Set([mineA, movable]));
    expect(await listed(B)).toEqual(['INV-1', 'INV-2', 'INV-9'].sort());
    // Someone else's customer: an empty page, the same as an unknown customer.
    expect(await listed(A, `&customerId=${theirsB}`)).toEqual([]);
    expect(await listed(A, `&customerId=${randomUUID()}`)).toEqual([]);

    // Staff move a customer from A to B: its history moves with it.
    await h.publishCustomerEvent('updated', { customer: snapshot(movable, { dealerId: dealerB, externalIds: [{ system: 'erp', id: 'MOVE-1' }] }), changedFields: ['dealerId'] });
    await projected(movable, (row) => row.dealer_id === dealerB);
    expect(await listed(A)).not.toContain('MV-1');
    expect(await listed(B)).toContain('MV-1');
  });

  it("answers 404 for another dealer's customer's scores and tier history, the same as for an unknown customer", async () => {
    for (const path of ['scores', 'tier-history']) {
      const foreign = await inject({ method: 'GET', url: `/v1/customers/${theirsB}/${path}`, headers: as(A) });
      const unknownId = randomUUID();
      const unknown = await inject({ method: 'GET', url: `/v1/customers/${unknownId}/${path}`, headers: as(A) });
      expect([foreign.statusCode, unknown.statusCode]).toEqual([404, 404]);
      // Word for word the same answer, but for the id asked about.
      expect(foreign.body).toBe(unknown.body.replaceAll(unknownId, theirsB));
      expect((await inject({ method: 'GET', url: `/v1/customers/${theirsB}/${path}`, headers: as(B) })).statusCode).toBe(200);
    }
    // Segments are not a dealer's at all: the principal kind is refused (403), not the customer.
    expect((await inject({ method: 'GET', url: '/v1/segments', headers: as(A) })).statusCode).toBe(403);
  });

  it("reports only its customers' sales", async () => {
    const report = await inject({ method: 'GET', url: '/v1/reports/sales?groupBy=month&from=2026-01-01&to=2027-01-01', headers: as(B) });
    const totals = await sql<{ revenue: string }>`
      select sum(amount_base)::numeric(20, 4)::text as revenue from scoring.transaction t join scoring.customer c on c.id = t.customer_id where c.dealer_id = ${dealerB}`.execute(h.db);
    const rows = report.json().rows as { revenue: string }[];
    expect(rows.reduce((sum, r) => sum + Number(r.revenue), 0)).toBeCloseTo(Number(totals.rows[0]?.revenue), 4);
  });
});
