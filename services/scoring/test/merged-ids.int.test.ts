import { randomUUID } from 'node:crypto';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import type { InjectOptions } from 'light-my-request';
import { admin, as, batchJob, dealerPrincipal, snapshot, startScoring, type ScoringHarness } from './harness';

/**
 * Merged ids keep working in scoring (sales by a merged-away id or its external id land on the
 * survivor, before and after the merge reaches scoring, through chains of merges), and the customer
 * projection ignores stale events (older versions, a lagging `updated` of a merged-away or erased customer).
 */
let h: ScoringHarness;
const inject = (options: InjectOptions) => h.service.app.inject(options);
beforeAll(async () => {
  h = await startScoring();
});
afterAll(async () => {
  await h?.close();
});

const handled = (eventId: string) =>
  eventually(`event ${eventId} to be handled`, async () =>
    (await sql`select 1 from scoring.inbox where event_id = ${eventId}`.execute(h.db)).rows.length ? true : undefined,
  );
const projected = async (id: string) =>
  (await sql<{ id: string; city: string | null; version: number }>`select id, city, version from scoring.customer where id = ${id}`.execute(h.db)).rows[0];
const transactionsOf = async (customerId: string) =>
  (await sql<{ external_id: string }>`select external_id from scoring.transaction where customer_id = ${customerId} order by external_id`.execute(h.db)).rows.map((r) => r.external_id);

let saleNumber = 0;
const sale = (customer: { id: string } | { externalId: { system: string; id: string } }, amount: string) => ({
  sourceSystem: 'erp',
  externalId: `MERGE-SALE-${++saleNumber}`,
  customer,
  occurredAt: new Date(Date.now() - 3_600_000 * saleNumber).toISOString(),
  type: 'sale',
  amount: { amount, currency: 'CNY' },
  quantity: 1,
  category: 'parts',
});
const ingest = async (...items: unknown[]) => {
  const response = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items } });
  expect(response.statusCode).toBe(200);
  return (response.json().results as { status: string }[]).map((r) => r.status);
};
/** Scores as they stand once the rescore queue (fed by merges and ingests) is worked off. */
const scoresOf = async (id: string) => {
  await h.service.rescoreWorker.drain();
  const response = await inject({ method: 'GET', url: `/v1/customers/${id}/scores`, headers: as(admin) });
  expect(response.statusCode).toBe(200);
  return response.json();
};

describe('merged ids', () => {
  it('puts sales by a merged-away id or its external id on the survivor, whether posted before or after the merge', async () => {
    const [loser, survivor, neverProjected] = [randomUUID(), randomUUID(), randomUUID()];
    const loserErp = { system: 'erp', id: `M-${loser}` };
    await h.publishCustomerEvent('created', { customer: snapshot(loser, { externalIds: [loserErp], version: 1 }) });
    await handled(await h.publishCustomerEvent('created', { customer: snapshot(survivor, { version: 1 }) }));
    await eventually('both customers in the projection', async () => ((await projected(loser)) && (await projected(survivor)) ? true : undefined));

    // Before the merge reaches scoring: one sale on the loser, one pending on an id scoring never saw.
    expect(await ingest(sale({ id: loser }, '100.00'), sale({ id: neverProjected }, '1000.00'))).toEqual(['inserted', 'pending']);

    const merged = await h.publishCustomerEvent('merged', {
      survivorId: survivor,
      mergedId: loser,
      survivor: snapshot(survivor, { externalIds: [loserErp], version: 2 }),
    });
    await handled(merged);
    expect(await projected(loser)).toBeUndefined();
    expect(await transactionsOf(survivor)).toEqual(['MERGE-SALE-1']);
    // The merge rescored the survivor at once: the duplicate's revenue is its revenue now.
    expect((await scoresOf(survivor)).historical).toEqual(expect.objectContaining({ revenue: '100.0000', orderCount: 1 }));

    // After the merge: by the old id and by the old customer's external id, both inserted on the survivor.
    expect(await ingest(sale({ id: loser }, '200.00'), sale({ externalId: loserErp }, '300.00'))).toEqual(['inserted', 'inserted']);
    expect(await transactionsOf(survivor)).toEqual(['MERGE-SALE-1', 'MERGE-SALE-3', 'MERGE-SALE-4']);
    // Rescoring follows the ingest (possibly after the response).
    const scores = await eventually('the survivor rescored with both sales', async () => {
      const read = await scoresOf(survivor);
      return read.historical.orderCount === 3 ? read : undefined;
    });
    expect(scores.historical.revenue).toBe('600.0000');
    expect(scores.rfm.frequency).not.toBeNull();
    expect(scores.rfm.monetary).not.toBeNull();

    // The pending sale of a customer merged before scoring ever saw it is linked by the merge event.
    await handled(await h.publishCustomerEvent('merged', { survivorId: survivor, mergedId: neverProjected, survivor: snapshot(survivor, { externalIds: [loserErp], version: 3 }) }));
    expect(await transactionsOf(survivor)).toEqual(['MERGE-SALE-1', 'MERGE-SALE-2', 'MERGE-SALE-3', 'MERGE-SALE-4']);
    expect((await scoresOf(survivor)).historical).toEqual(expect.objectContaining({ revenue: '1600.0000', orderCount: 4 }));

    // Reads by the old id answer 308 to the survivor's same resource; so does the transaction list's filter.
    const moved = await inject({ method: 'GET', url: `/v1/customers/${loser}/scores`, headers: as(admin) });
    expect(moved.statusCode).toBe(308);
    expect(moved.headers.location).toBe(`/v1/customers/${survivor}/scores`);
    const history = await inject({ method: 'GET', url: `/v1/customers/${loser}/tier-history?limit=5`, headers: as(admin) });
    expect(history.statusCode).toBe(308);
    expect(history.headers.location).toBe(`/v1/customers/${survivor}/tier-history?limit=5`);
    const override = await inject({ method: 'PUT', url: `/v1/customers/${loser}/tier-override`, headers: as(admin), payload: { tier: 'VIP', reason: 'key account' } });
    expect(override.statusCode).toBe(308);
    expect(override.headers.location).toBe(`/v1/customers/${survivor}/tier-override`);
    expect(await sql`select 1 from scoring.tier_override where customer_id = ${loser}`.execute(h.db).then((r) => r.rows)).toEqual([]);
    const listed = await inject({ method: 'GET', url: `/v1/transactions?customerId=${loser}&limit=10`, headers: as(admin) });
    expect(listed.json().items).toHaveLength(4);
  });

  it('resolves chains of merges to the final survivor, in whichever order the merges arrive', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of [a, b, c]) await handled(await h.publishCustomerEvent('created', { customer: snapshot(id, { version: 1 }) }));
    expect(await ingest(sale({ id: a }, '10.00'), sale({ id: b }, '20.00'))).toEqual(['inserted', 'inserted']);
    // A into B, then B into C: A → C.
    await handled(await h.publishCustomerEvent('merged', { survivorId: b, mergedId: a, survivor: snapshot(b, { version: 2 }) }));
    await handled(await h.publishCustomerEvent('merged', { survivorId: c, mergedId: b, survivor: snapshot(c, { version: 2 }) }));
    const aliases = await sql<{ merged_id: string; survivor_id: string }>`select merged_id, survivor_id from scoring.customer_alias where survivor_id = ${c} order by merged_id`.execute(h.db);
    expect(aliases.rows).toEqual([{ merged_id: a, survivor_id: c }, { merged_id: b, survivor_id: c }].sort((x, y) => x.merged_id.localeCompare(y.merged_id)));
    expect(await ingest(sale({ id: a }, '30.00'))).toEqual(['inserted']);
    expect((await transactionsOf(c)).length).toBe(3);

    // Out of order (the merges travel on different keys): E into F arrives after F into G.
    const [e, f, g] = [randomUUID(), randomUUID(), randomUUID()];
    const eErp = { system: 'erp', id: `E-${e}` };
    for (const id of [e, f, g]) await handled(await h.publishCustomerEvent('created', { customer: snapshot(id, { version: 1, externalIds: id === e ? [eErp] : [] }) }));
    expect(await ingest(sale({ id: e }, '40.00'))).toEqual(['inserted']);
    await handled(await h.publishCustomerEvent('merged', { survivorId: g, mergedId: f, survivor: snapshot(g, { version: 2 }) }));
    await handled(await h.publishCustomerEvent('merged', { survivorId: f, mergedId: e, survivor: snapshot(f, { version: 2 }) }));
    // F's stale snapshot in the late merge does not bring F back; E's sale went straight to G.
    expect(await projected(f)).toBeUndefined();
    expect(await projected(e)).toBeUndefined();
    expect((await transactionsOf(g)).length).toBe(1);
    expect((await scoresOf(g)).historical.orderCount).toBe(1);
    // E's external id names G too.
    expect(await ingest(sale({ externalId: eErp }, '45.00'))).toEqual(['inserted']);
    expect((await transactionsOf(g)).length).toBe(2);
  });

  it("carries the duplicate's tier override over, and sends a dealer only to a survivor of its own", async () => {
    const [loser, survivor] = [randomUUID(), randomUUID()];
    const [dealer, otherDealer] = [randomUUID(), randomUUID()];
    await h.publishCustomerEvent('created', { customer: snapshot(loser, { dealerId: dealer, version: 1 }) });
    await handled(await h.publishCustomerEvent('created', { customer: snapshot(survivor, { dealerId: dealer, version: 1 }) }));
    const override = await inject({ method: 'PUT', url: `/v1/customers/${loser}/tier-override`, headers: as(admin), payload: { tier: 'Gold', reason: 'key account' } });
    expect(override.statusCode).toBe(200);
    await handled(await h.publishCustomerEvent('merged', { survivorId: survivor, mergedId: loser, survivor: snapshot(survivor, { dealerId: dealer, version: 2 }) }));
    expect((await scoresOf(survivor)).tier).toBe('Gold');
    const overrides = await sql`select customer_id, tier from scoring.tier_override where customer_id in (${loser}, ${survivor})`.execute(h.db);
    expect(overrides.rows).toEqual([{ customer_id: survivor, tier: 'Gold' }]);

    const own = await inject({ method: 'GET', url: `/v1/customers/${loser}/scores`, headers: as(dealerPrincipal(dealer)) });
    expect(own.statusCode).toBe(308);
    const foreign = await inject({ method: 'GET', url: `/v1/customers/${loser}/scores`, headers: as(dealerPrincipal(otherDealer)) });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).not.toContain(survivor);
  });

  it('treats a merge into a customer erased since as an erasure of the duplicate', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of [a, b, c]) await handled(await h.publishCustomerEvent('created', { customer: snapshot(id, { version: 1 }) }));
    expect(await ingest(sale({ id: a }, '10.00'))).toEqual(['inserted']);
    // B into C and C's erasure travel on C's key; A into B, on B's key, comes last.
    await handled(await h.publishCustomerEvent('merged', { survivorId: c, mergedId: b, survivor: snapshot(c, { version: 2 }) }));
    await handled(await h.publishCustomerEvent('erased', { customerId: c }));
    await handled(await h.publishCustomerEvent('merged', { survivorId: b, mergedId: a, survivor: snapshot(b, { version: 2 }) }));
    for (const id of [a, b, c]) expect(await projected(id)).toBeUndefined();
    expect(await sql`select 1 from scoring.customer_alias where merged_id in (${a}, ${b})`.execute(h.db).then((r) => r.rows)).toEqual([]);
    const erased = await sql<{ id: string }>`select id from scoring.erased_customer where id in (${a}, ${b}, ${c})`.execute(h.db);
    expect(erased.rows.map((r) => r.id).sort()).toEqual([a, b, c].sort());
    const sales = await sql<{ customer_id: string | null }>`select customer_id from scoring.transaction where external_id = ${`MERGE-SALE-${saleNumber}`}`.execute(h.db);
    expect(sales.rows).toEqual([{ customer_id: null }]);
  });
});

describe('stale customer events', () => {
  const inWuhan = async () => {
    const segment = await inject({ method: 'POST', url: '/v1/segments', headers: as(admin), payload: { name: `Wuhan ${randomUUID()}`, rule: { field: 'city', op: 'eq', value: 'Wuhan' } } });
    expect(segment.statusCode).toBe(201);
    return async () =>
      (await inject({ method: 'GET', url: `/v1/segments/${segment.json().id}/members?limit=200`, headers: as(admin) })).json().items.map((m: { customerId: string }) => m.customerId) as string[];
  };

  it('applies a snapshot only when it is newer than the one applied', async () => {
    const id = randomUUID();
    const members = await inWuhan();
    await h.publishCustomerEvent('created', { customer: snapshot(id, { city: 'Beijing', version: 1 }) });
    await handled(await h.publishCustomerEvent('updated', { customer: snapshot(id, { city: 'Chengdu', version: 3 }), changedFields: ['addresses'] }));
    // Version 2 comes late: ignored, the projection keeps version 3 and the customer does not enter the segment.
    await handled(await h.publishCustomerEvent('updated', { customer: snapshot(id, { city: 'Wuhan', version: 2 }), changedFields: ['addresses'] }));
    expect(await projected(id)).toEqual({ id, city: 'Chengdu', version: 3 });
    expect(await members()).not.toContain(id);
    // A newer one applies.
    await handled(await h.publishCustomerEvent('updated', { customer: snapshot(id, { city: 'Wuhan', version: 4 }), changedFields: ['addresses'] }));
    expect(await projected(id)).toEqual({ id, city: 'Wuhan', version: 4 });
    expect(await members()).toContain(id);
  });

  it('keeps applying snapshots that carry no version (events published before versions existed)', async () => {
    const id = randomUUID();
    await h.publishCustomerEvent('created', { customer: snapshot(id, { city: 'Beijing' }) });
    await handled(await h.publishCustomerEvent('updated', { customer: snapshot(id, { city: 'Xian' }), changedFields: ['addresses'] }));
    expect(await projected(id)).toEqual({ id, city: 'Xian', version: 0 });
  });

  it('does not bring back a merged-away customer when its lagging update arrives after the merge', async () => {
    const [loser, survivor] = [randomUUID(), randomUUID()];
    const members = await inWuhan();
    const loserErp = { system: 'erp', id: `L-${loser}` };
    await h.publishCustomerEvent('created', { customer: snapshot(loser, { city: 'Wuhan', externalIds: [loserErp], version: 1 }) });
    await handled(await h.publishCustomerEvent('created', { customer: snapshot(survivor, { city: 'Beijing', version: 1 }) }));
    await eventually('the loser in the segment', async () => ((await members()).includes(loser) ? true : undefined));
    await handled(await h.publishCustomerEvent('merged', { survivorId: survivor, mergedId: loser, survivor: snapshot(survivor, { city: 'Beijing', externalIds: [loserErp], version: 2 }) }));
    expect(await members()).not.toContain(loser);

    // The loser's update was published before the merge but, on another key, is processed after it.
    await handled(await h.publishCustomerEvent('updated', { customer: snapshot(loser, { city: 'Wuhan', externalIds: [loserErp], version: 2 }), changedFields: ['addresses'] }));
    expect(await projected(loser)).toBeUndefined();
    expect(await members()).not.toContain(loser);
    // Its external id still names the survivor.
    const owner = await sql<{ customer_id: string }>`select customer_id from scoring.customer_external_id where system = 'erp' and external_id = ${loserErp.id}`.execute(h.db);
    expect(owner.rows).toEqual([{ customer_id: survivor }]);
    expect(await ingest(sale({ externalId: loserErp }, '50.00'))).toEqual(['inserted']);
    expect((await transactionsOf(survivor)).length).toBe(1);
  });

  it('does not bring back an erased customer when its lagging update arrives after the erasure', async () => {
    const id = randomUUID();
    const members = await inWuhan();
    await handled(await h.publishCustomerEvent('created', { customer: snapshot(id, { city: 'Wuhan', version: 1 }) }));
    await eventually('the customer in the segment', async () => ((await members()).includes(id) ? true : undefined));
    await handled(await h.publishCustomerEvent('erased', { customerId: id }));
    await handled(await h.publishCustomerEvent('updated', { customer: snapshot(id, { city: 'Wuhan', version: 2 }), changedFields: ['addresses'] }));
    await handled(await h.publishCustomerEvent('created', { customer: snapshot(id, { city: 'Wuhan', version: 1 }) }));
    expect(await projected(id)).toBeUndefined();
    expect(await members()).not.toContain(id);
    // A sale naming the erased id is not attributed to anyone.
    expect(await ingest(sale({ id }, '70.00'))).toEqual(['pending']);
  });
});
