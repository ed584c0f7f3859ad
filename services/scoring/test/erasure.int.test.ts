import { randomUUID } from 'node:crypto';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import type { InjectOptions } from 'light-my-request';
import { admin, as, dealerPrincipal, snapshot, startScoring, type ScoringHarness } from './harness';

/** Scoring honours crm.customer.erased.v1 and serves its export section, directly against the service. */
let h: ScoringHarness;
beforeAll(async () => {
  h = await startScoring();
});
afterAll(async () => {
  await h?.close();
});

const inject = (options: InjectOptions) => h.service.app.inject(options);
const sale = (externalId: string, customer: unknown) => ({
  sourceSystem: 'erp', externalId, customer, occurredAt: '2026-06-01T10:00:00Z', type: 'sale', amount: { amount: '100.00', currency: 'CNY' }, quantity: 1,
});
const rows = async (query: ReturnType<typeof sql>) => (await sql<Record<string, unknown>>`${query}`.execute(h.db)).rows;
const personalData = (id: string, principal = admin) => inject({ method: 'GET', url: `/v1/customers/${id}/personal-data`, headers: as(principal) });

describe('crm.customer.erased.v1 in scoring', () => {
  it('unlinks sales (pending ones naming the person included), drops what was derived and the dead letters about the person and its merged ids', async () => {
    const dealerId = randomUUID();
    const person = randomUUID();
    const mergedAway = randomUUID();
    await h.publishCustomerEvent('created', { customer: snapshot(person, { dealerId, externalIds: [{ system: 'erp', id: 'ER-1' }] }) });
    await eventually('the projection', async () => ((await rows(sql`select 1 from scoring.customer where id = ${person}`)).length ? true : undefined));
    const posted = await inject({
      method: 'POST',
      url: '/v1/transactions/batch',
      headers: as(admin),
      payload: { items: [sale('ER-T1', { id: person }), sale('ER-T2', { externalId: { system: 'erp', id: 'ER-1' } }), sale('ER-T3', { id: mergedAway })] },
    });
    expect(posted.json().results.map((r: { status: string }) => r.status)).toEqual(['inserted', 'inserted', 'pending']);
    await sql`insert into scoring.tier_override (customer_id, tier, reason, created_by, created_at) values (${person}, 'Gold', 'asked by phone', 'admin-1', now())`.execute(h.db);

    const section = (await personalData(person)).json();
    expect(section.profile).toMatchObject({ dealerId, kind: 'person' });
    expect(section.transactions.map((t: { externalId: string; status: string }) => [t.externalId, t.status]).sort()).toEqual([['ER-T1', 'linked'], ['ER-T2', 'linked']]);
    expect(section.tierOverride).toMatchObject({ tier: 'Gold', reason: 'asked by phone' });
    expect((await personalData(mergedAway)).json().transactions.map((t: { status: string }) => t.status)).toEqual(['pending']);
    expect((await personalData(person, dealerPrincipal(dealerId))).statusCode).toBe(200);
    expect((await personalData(person, dealerPrincipal(randomUUID()))).statusCode).toBe(404);

    await h.bus.publish('crm.customers', [{ key: person, value: 'not an event' }, { key: 'elsewhere', value: `not an event either, about ${mergedAway}` }]);
    await eventually('the dead letters', async () => ((await rows(sql`select 1 from scoring.dead_letter`)).length === 2 ? true : undefined));

    await h.publishCustomerEvent('erased', { customerId: person, mergedIds: [mergedAway] });
    await eventually('the erasure', async () => ((await rows(sql`select 1 from scoring.customer where id = ${person}`)).length === 0 ? true : undefined));
    expect(await rows(sql`select external_id, customer_id, customer_ref_system, customer_ref_id from scoring.transaction where external_id like 'ER-T%' order by external_id`)).toEqual(
      ['ER-T1', 'ER-T2', 'ER-T3'].map((external_id) => ({ external_id, customer_id: null, customer_ref_system: null, customer_ref_id: null })),
    );
    for (const table of ['customer_external_id', 'customer_score', 'tier_history', 'tier_override', 'segment_member']) {
      expect([table, await rows(sql`select 1 from ${sql.table(`scoring.${table}`)} where customer_id in (${person}, ${mergedAway})`)]).toEqual([table, []]);
    }
    // The one keyed by the person went; the other never held its content (not an event: withheld), so nothing mentions the person.
    expect(await rows(sql`select 1 from scoring.dead_letter where message_key = ${person} or message_value like ${`%${mergedAway}%`} or error like ${`%${mergedAway}%`}`)).toEqual([]);
    expect(await rows(sql`select 1 from scoring.dead_letter`)).toHaveLength(1);
    expect((await personalData(person)).json()).toMatchObject({ profile: null, externalIds: [], transactions: [], scores: null, tierHistory: [], tierOverride: null, segments: [] });
  });

  it('serves its section only to signed principals, validated', async () => {
    expect((await inject({ method: 'GET', url: `/v1/customers/${randomUUID()}/personal-data` })).statusCode).toBe(401);
    const invalid = await personalData('42');
    expect([invalid.statusCode, invalid.headers['content-type']]).toEqual([400, 'application/problem+json; charset=utf-8']);
  });
});
