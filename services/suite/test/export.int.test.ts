import { randomUUID } from 'node:crypto';
import { DEV_INTERNAL_SECRET, signPrincipal } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { ADMIN, callJson, startSuite, type RunningSuite } from './harness';

/** `GET /v1/customers/{id}/export` is everything held: the customers record and scoring's section, on the real services. */
let suite: RunningSuite;
let api: string;
let scoringUrl: string;

beforeAll(async () => {
  suite = await startSuite('export-test');
  ({ api, scoringUrl } = suite);
});
afterAll(() => suite?.close());

const call = (method: string, url: string, headers: Record<string, string>, body?: unknown, base = api) => callJson(base, method, url, headers, body);

describe('the export through the gateway', () => {
  it("holds the customers record and scoring's transactions, scores, tier history, override and segments; dealer-scoped", async () => {
    const dealerA = (await call('POST', '/v1/dealers', ADMIN, { code: 'EX-A', name: 'Export A' })).body;
    const dealerB = (await call('POST', '/v1/dealers', ADMIN, { code: 'EX-B', name: 'Export B' })).body;
    const client = (await call('POST', '/v1/api-clients', ADMIN, { name: 'A portal', principal: { kind: 'dealer', subject: 'ex-a', dealerId: dealerA.id } })).body;
    const asDealerA = { authorization: `Bearer ${client.apiKey}` };

    const person = (await call('POST', '/v1/customers', ADMIN, { kind: 'person', givenName: 'Ilse', familyName: 'Export', dealerId: dealerA.id, externalIds: [{ system: 'erp', id: 'EXP-1' }] })).body;
    const other = (await call('POST', '/v1/customers', ADMIN, { kind: 'person', givenName: 'Other', dealerId: dealerB.id })).body;
    await call('PUT', `/v1/customers/${person.id}/consents/sms`, ADMIN, { granted: true, source: 'hotline' });
    await eventually('the scoring projection', async () => ((await call('GET', `/v1/customers/${person.id}/scores`, ADMIN)).status === 200 ? true : undefined));
    const occurredAt = new Date(Date.now() - 86_400_000).toISOString();
    const sale = (n: number, customer: unknown, amount: string) => ({ sourceSystem: 'erp', externalId: `EXP-INV-${n}`, customer, occurredAt, type: 'sale', amount: { amount, currency: 'CNY' }, quantity: 1 });
    await call('POST', '/v1/transactions/batch', ADMIN, { items: [sale(1, { id: person.id }, '60000.00'), sale(2, { externalId: { system: 'erp', id: 'EXP-1' } }, '1000.00'), sale(3, { id: other.id }, '5.00')] });
    await call('GET', '/v1/tiers', ADMIN);
    await call('POST', '/v1/segments', ADMIN, { name: 'export buyers', rule: { field: 'revenue', op: 'gt', value: 0 } });
    const run = (await call('POST', '/v1/scoring/runs', ADMIN, {})).body;
    await eventually('the run', async () => ((await call('GET', `/v1/scoring/runs/${run.id}`, ADMIN)).body.status === 'succeeded' ? true : undefined), 60_000);
    await call('PUT', `/v1/customers/${person.id}/tier-override`, ADMIN, { tier: 'VIP', reason: 'key account' });

    const exported = await call('GET', `/v1/customers/${person.id}/export`, ADMIN);
    expect(exported.status).toBe(200);
    const { customer, services } = exported.body;
    expect(customer.customer).toMatchObject({ id: person.id, givenName: 'Ilse', familyName: 'Export' });
    expect(customer.consentHistory).toEqual([expect.objectContaining({ channel: 'sms', granted: true })]);
    expect(Object.keys(services).sort()).toEqual(['sales', 'scoring']);
    expect(services.sales).toEqual({ customerId: person.id, sections: { orders: [], leads: [], opportunities: [], quotes: [], activities: [] } });
    const scoring = services.scoring;
    expect(scoring.profile).toMatchObject({ dealerId: dealerA.id, kind: 'person' });
    expect(scoring.externalIds).toEqual([{ system: 'erp', id: 'EXP-1' }]);
    expect(scoring.transactions.map((t: { externalId: string; status: string }) => [t.externalId, t.status]).sort()).toEqual([['EXP-INV-1', 'linked'], ['EXP-INV-2', 'linked']]);
    expect(Number(scoring.scores.revenue)).toBe(61_000);
    expect(scoring.scores.tier).toBe('VIP');
    expect(scoring.tierHistory.map((h: { to: string }) => h.to)).toEqual(['Silver', 'VIP']);
    expect(scoring.tierOverride).toMatchObject({ tier: 'VIP', reason: 'key account' });
    expect(scoring.segments).toEqual([expect.objectContaining({ name: 'export buyers' })]);

    // A dealer exports its own customers, and another dealer's customer does not exist for it.
    const own = await call('GET', `/v1/customers/${person.id}/export`, asDealerA);
    expect(own.status).toBe(200);
    expect(own.body.services.scoring.transactions).toHaveLength(2);
    const foreign = await call('GET', `/v1/customers/${other.id}/export`, asDealerA);
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body)).not.toContain('Other');
    expect((await call('GET', `/v1/customers/${randomUUID()}/export`, ADMIN)).status).toBe(404);

    // Scoring's section directly: signed principals only, the same dealer scoping.
    const direct = (principal: unknown) => call('GET', `/v1/customers/${other.id}/personal-data`, signPrincipal(principal as never, DEV_INTERNAL_SECRET, { method: 'GET', url: `/v1/customers/${other.id}/personal-data` }), undefined, scoringUrl);
    expect((await call('GET', `/v1/customers/${other.id}/personal-data`, {}, undefined, scoringUrl)).status).toBe(401);
    expect((await direct({ kind: 'dealer', subject: 'ex-a', dealerId: dealerA.id })).status).toBe(404);
    expect((await direct({ kind: 'staff', subject: 'analyst', roles: ['analyst'] })).body.transactions).toHaveLength(1);
    // Not reachable from outside: the customers prefix owns the path at the gateway.
    expect((await call('GET', `/v1/customers/${other.id}/personal-data`, ADMIN)).status).toBe(404);

    // Once erased the export answers 410, and a merged id leads to the survivor's export.
    const duplicate = (await call('POST', '/v1/customers', ADMIN, { kind: 'person', givenName: 'Ilse', familyName: 'Export', dealerId: dealerA.id })).body;
    expect((await call('POST', `/v1/customers/${person.id}/merge`, ADMIN, { duplicateId: duplicate.id })).status).toBe(200);
    const moved = await call('GET', `/v1/customers/${duplicate.id}/export`, ADMIN);
    expect([moved.status, moved.headers.get('location')]).toEqual([308, `/v1/customers/${person.id}/export`]);
    expect((await call('DELETE', `/v1/customers/${person.id}`, ADMIN)).status).toBe(204);
    const gone = await call('GET', `/v1/customers/${person.id}/export`, ADMIN);
    expect([gone.status, gone.body.type]).toEqual([410, 'urn:crm:problem:customer-erased']);
  });
});
