import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { admin, as, erp, startCustomers, type Harness } from './harness';

// Values PostgreSQL refuses (NUL, lone surrogates, year 0, years past 9999) are refused per item with the
// field named: never a 500, never a failed batch.
let h: Harness;
beforeAll(async () => {
  h = await startCustomers();
  const defined = await inject({ method: 'POST', url: '/v1/attribute-definitions', headers: as(admin), payload: { name: 'note', type: 'string' } });
  expect(defined.statusCode).toBe(201);
  await inject({ method: 'POST', url: '/v1/attribute-definitions', headers: as(admin), payload: { name: 'since', type: 'date' } });
});
afterAll(async () => {
  await h?.close();
});
const inject = (options: InjectOptions) => h.service.app.inject(options);
const countCustomers = async () => Number((await sql<{ n: string }>`select count(*) as n from customers.customer`.execute(h.db)).rows[0]?.n);
const person = (overrides: Record<string, unknown> = {}) => ({ kind: 'person', givenName: 'Li', familyName: 'Wei', ...overrides });
const expectProblem = (res: Awaited<ReturnType<typeof inject>>, field: string) => {
  expect(res.statusCode).toBe(400);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.json()).toEqual(expect.objectContaining({ type: 'urn:crm:problem:validation', status: 400 }));
  expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
};

describe('values PostgreSQL refuses', () => {
  it('refuses each bad item of a JSON batch of 5,000 with its field named, and writes all the others', async () => {
    const bad: Record<number, [Record<string, unknown>, RegExp]> = {
      7: [person({ givenName: 'Li\u0000' }), /^customer\.givenName: must not contain NUL/],
      1_000: [person({ attributes: { note: 'half \ud800 pair' } }), /^customer\.attributes\.note: .*surrogates/],
      1_500: [person({ attributes: { ['k\udc00']: 'x' } }), /^customer\.attributes\.k\udc00: /],
      2_000: [person({ birthDate: '0000-01-01' }), /^customer\.birthDate: must be a date YYYY-MM-DD from 0001-01-01 to 9999-12-31/],
      3_000: [person({ birthDate: '10000-01-01' }), /^customer\.birthDate: must be a date/],
      3_500: [person({ attributes: { since: '0000-02-01' } }), /attributes\.since: must be a date/],
      4_000: [person({ addresses: [{ line1: 'Road 1\u0000', city: 'Shanghai', country: 'CN' }] }), /^customer\.addresses\.0\.line1: must not contain NUL/],
      4_999: [person({ organizationName: null, displayName: '\udfff' }), /^customer\.displayName: /],
    };
    const items = Array.from({ length: 5_000 }, (_, i) => ({ externalId: { system: 'bulk', id: `V-${i}` }, customer: bad[i]?.[0] ?? person({ givenName: `G${i}` }) }));
    const before = await countCustomers();
    const res = await inject({ method: 'POST', url: '/v1/customers/batch', headers: as(erp), payload: { items } });
    expect(res.statusCode).toBe(200);
    const { results, summary } = res.json<{ results: { index: number; status: string; error?: { status: number; detail: string } }[]; summary: Record<string, number> }>();
    const errors = results.filter((r) => r.status === 'error');
    expect(errors.map((r) => r.index)).toEqual(Object.keys(bad).map(Number));
    for (const error of errors) {
      expect(error.error!.status).toBeGreaterThanOrEqual(400);
      expect(error.error!.status).toBeLessThan(500);
      expect(error.error!.detail).toMatch(bad[error.index]![1]);
    }
    expect(summary).toEqual({ received: 5_000, created: 4_992, updated: 0, unchanged: 0, errors: 8 });
    expect(await countCustomers()).toBe(before + 4_992);
  }, 120_000);

  it('answers a single create, PATCH, upsert, consent or search with such a value 400 problem+json and writes nothing', async () => {
    const before = await countCustomers();
    expectProblem(await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person({ familyName: 'W\u0000ei' }) }), 'body.familyName');
    expectProblem(await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person({ birthDate: '0000-01-01' }) }), 'body.birthDate');
    expectProblem(await inject({ method: 'PUT', url: '/v1/customers/by-external-id/erp/S-1', headers: as(erp), payload: person({ attributes: { note: '\ud83d' } }) }), 'body.attributes.note');
    expect(await countCustomers()).toBe(before);

    const created = await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: person() });
    const { id } = created.json<{ id: string }>();
    for (const [payload, field] of [
      [{ givenName: '\u0000' }, 'body.givenName'],
      [{ birthDate: '10000-01-01' }, 'body.birthDate'],
      [{ externalIds: [{ system: 'erp', id: 'X\ud800' }] }, 'body.externalIds.0.id'],
    ] as const) {
      expectProblem(await inject({ method: 'PATCH', url: `/v1/customers/${id}`, headers: as(admin, { 'if-match': '"1"' }), payload }), field);
    }
    expectProblem(await inject({ method: 'PUT', url: `/v1/customers/${id}/consents/sms`, headers: as(admin), payload: { granted: true, source: 'hot\u0000line' } }), 'body.source');
    expectProblem(await inject({ method: 'PUT', url: `/v1/customers/${id}/consents/sms`, headers: as(admin), payload: { granted: true, source: 'hotline', recordedAt: '0000-06-01T00:00:00Z' } }), 'body.recordedAt');
    expectProblem(await inject({ method: 'GET', url: '/v1/customers?q=%00', headers: as(admin) }), 'query.q');
    expectProblem(await inject({ method: 'GET', url: '/v1/customers?externalSystem=erp&externalId=A%00', headers: as(admin) }), 'query.externalId');
    expectProblem(await inject({ method: 'PUT', url: '/v1/customers/by-external-id/erp/A%00B', headers: as(erp), payload: person() }), 'params.externalId');
    expectProblem(await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: 'D-NUL', name: 'Dealer\u0000' } }), 'body.name');
    const read = (await inject({ method: 'GET', url: `/v1/customers/${id}`, headers: as(admin) })).json();
    expect(read).toEqual(expect.objectContaining({ version: 1, givenName: 'Li', birthDate: null, consents: {} }));
  });
});
