import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createCrmClient } from '@crm/client';
import { compileErrors, validate } from '@readme/openapi-parser';
import { eventually } from '@crm/testkit';
import { ADMIN, callJson, startSuite, type RunningSuite } from './harness';


/** Gateway and customers as they run in production: real PostgreSQL, real Kafka, real HTTP between them. */
let suite: RunningSuite;
let api: string;
let customersUrl: string;

beforeAll(async () => {
  suite = await startSuite('suite-test');
  ({ api, customersUrl } = suite);
});
afterAll(() => suite?.close());

const call = (method: string, url: string, headers: Record<string, string>, body?: unknown) => callJson(api, method, url, headers, body);

describe('dealer isolation through the gateway', () => {
  it('lets a dealer client see and change only its own customers', async () => {
    const d1 = (await call('POST', '/v1/dealers', ADMIN, { code: 'SH-01', name: 'Shanghai One', city: 'Shanghai' })).body;
    const d2 = (await call('POST', '/v1/dealers', ADMIN, { code: 'BJ-01', name: 'Beijing One' })).body;
    const client = await call('POST', '/v1/api-clients', ADMIN, { name: 'SH-01 portal', principal: { kind: 'dealer', subject: 'sh-01', dealerId: d1.id } });
    expect(client.status).toBe(201);
    const dealer = { authorization: `Bearer ${client.body.apiKey}` };

    const own = await call('POST', '/v1/customers', dealer, { kind: 'person', givenName: 'Own', familyName: 'Lead' });
    expect(own.status).toBe(201);
    expect(own.body.dealerId).toBe(d1.id);
    const other = (await call('POST', '/v1/customers', ADMIN, { kind: 'person', givenName: 'Other', dealerId: d2.id })).body;

    const list = await call('GET', '/v1/customers?limit=100', dealer);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([own.body.id]);
    expect((await call('GET', `/v1/customers/${other.id}`, dealer)).status).toBe(404);
    expect((await call('PATCH', `/v1/customers/${other.id}`, { ...dealer, 'if-match': '"1"' }, { lifecycleStage: 'churned' })).status).toBe(404);
    expect((await call('POST', '/v1/customers', dealer, { kind: 'person', givenName: 'Steal', dealerId: d2.id })).status).toBe(403);
    expect((await call('DELETE', `/v1/customers/${own.body.id}`, dealer)).status).toBe(403);
    expect((await call('GET', `/v1/customers/${other.id}`, ADMIN)).body.lifecycleStage).toBe('prospect');

    // An OAuth2 access token for the same client carries the same confinement.
    const token = await fetch(`${api}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.body.clientId, client_secret: client.body.clientSecret }),
    });
    const { access_token: accessToken } = (await token.json()) as { access_token: string };
    const viaToken = await call('GET', '/v1/customers?limit=100', { authorization: `Bearer ${accessToken}` });
    expect(viaToken.body.items.map((c: { id: string }) => c.id)).toEqual([own.body.id]);
  });

  it('rejects calls that bypass the gateway or forge a principal', async () => {
    const direct = await fetch(`${customersUrl}/v1/customers`);
    expect(direct.status).toBe(401);
    expect(direct.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const spoofed = await fetch(`${customersUrl}/v1/customers`, {
      headers: { 'x-crm-principal': Buffer.from(JSON.stringify({ principal: { kind: 'staff', subject: 'x', roles: ['admin'] }, iat: Math.floor(Date.now() / 1000) })).toString('base64url'), 'x-crm-principal-signature': 'forged' },
    });
    expect(spoofed.status).toBe(401);
    expect((await call('GET', '/v1/customers', { authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('forwards the 308 of a merged customer to the caller', async () => {
    const a = (await call('POST', '/v1/customers', ADMIN, { kind: 'person', givenName: 'A', emails: ['same@example.com'] })).body;
    const b = (await call('POST', '/v1/customers', ADMIN, { kind: 'person', givenName: 'B', emails: ['same@example.com'] })).body;
    expect((await call('POST', `/v1/customers/${a.id}/merge`, ADMIN, { duplicateId: b.id })).status).toBe(200);
    const alias = await call('GET', `/v1/customers/${b.id}`, ADMIN);
    expect(alias.status).toBe(308);
    expect(alias.headers.get('location')).toBe(`/v1/customers/${a.id}`);
  });
});

describe('events between services', () => {
  it('lets scoring attribute a sale to a customer created through the customers service', async () => {
    const customer = await call('PUT', '/v1/customers/by-external-id/erp/E2E-1', ADMIN, { kind: 'person', givenName: 'Flow' });
    expect(customer.status).toBe(201);
    const sale = { sourceSystem: 'erp', externalId: 'INV-E2E-1', customer: { externalId: { system: 'erp', id: 'E2E-1' } }, occurredAt: '2026-06-01T10:00:00Z', type: 'sale', amount: { amount: '250.00', currency: 'CNY' }, quantity: 1 };
    // crm.customer.created.v1 travels customers → Kafka → scoring's projection; until then the sale waits as pending.
    const first = await call('POST', '/v1/transactions/batch', ADMIN, { items: [sale] });
    expect(['inserted', 'pending']).toContain(first.body.results[0].status);
    await eventually(
      'the sale to be linked to the customer',
      async () => {
        const page = await call('GET', `/v1/transactions?customerId=${customer.body.id}`, ADMIN);
        return page.body.items.length === 1 ? true : undefined;
      },
      60_000,
    );
  });
});

describe('the merged OpenAPI document', () => {
  it('is valid OpenAPI 3.1, covers the gateway and customers, and matches the committed contract', async () => {
    const document = (await call('GET', '/openapi.json', {})).body;
    expect(document['x-missing-upstreams']).toEqual([]);
    const result = await validate(structuredClone(document));
    if (!result.valid) throw new Error(compileErrors(result));
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/oauth/token', '/v1/api-clients', '/v1/customers', '/v1/customers/{id}/merge', '/v1/dealers', '/v1/transactions/batch', '/v1/exchange-rates/{currency}']),
    );
    const committed = JSON.parse(readFileSync(path.resolve(__dirname, '../../gateway/openapi.json'), 'utf8'));
    // A change of contract must be deliberate: regenerate with `pnpm openapi` and review the diff.
    expect(document).toEqual(committed);
  });
});

describe('a frontend with the generated client (@crm/client)', () => {
  const crm = () => createCrmClient({ baseUrl: api, token: 'crm-dev-admin-key' });
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`no ${what}`);
    return value;
  };

  it('creates, changes with the ETag, upserts, batches, ingests sales and reads scores, all typed by the contract', async () => {
    const client = crm();
    const created = await client.POST('/v1/customers', { body: { kind: 'person', givenName: 'Typed', familyName: 'Client', emails: ['typed.client@example.com'] } });
    expect(created.response.status).toBe(201);
    const customer = required(created.data, 'created customer');
    const etag = required(created.response.headers.get('etag') ?? undefined, 'ETag');
    expect(etag).toBe(`"${customer.version}"`);
    expect(created.response.headers.get('location')).toBe(`/v1/customers/${customer.id}`);

    const changed = await client.PATCH('/v1/customers/{id}', { params: { path: { id: customer.id }, header: { 'if-match': etag } }, body: { lifecycleStage: 'active' } });
    expect(changed.data?.lifecycleStage).toBe('active');
    const stale = await client.PATCH('/v1/customers/{id}', { params: { path: { id: customer.id }, header: { 'if-match': etag } }, body: { lifecycleStage: 'loyal' } });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.type).toBe('urn:crm:problem:precondition-failed');

    const upserted = await client.PUT('/v1/customers/by-external-id/{system}/{externalId}', {
      params: { path: { system: 'shop', externalId: 'TYPED-1' } },
      body: { kind: 'organization', organizationName: 'Typed Trading' },
    });
    expect(upserted.response.status).toBe(201);
    const again = await client.PUT('/v1/customers/by-external-id/{system}/{externalId}', { params: { path: { system: 'shop', externalId: 'TYPED-1' } }, body: { organizationName: 'Typed Trading' } });
    expect(again.data?.id).toBe(upserted.data?.id);

    const batch = await client.POST('/v1/customers/batch', {
      body: { items: [{ externalId: { system: 'shop', id: 'TYPED-2' }, customer: { kind: 'person', givenName: 'Batched' } }, { customer: { kind: 'person', emails: ['not an e-mail'] } }] },
    });
    expect(batch.data?.results.map((result) => result.status)).toEqual(['created', 'error']);
    expect(batch.data?.summary).toMatchObject({ received: 2, created: 1, errors: 1 });

    const sale = { sourceSystem: 'shop', externalId: 'TYPED-INV-1', customer: { id: customer.id }, occurredAt: '2026-06-01T10:00:00Z', type: 'sale' as const, amount: { amount: '99.50', currency: 'CNY' }, quantity: 2 };
    const ingested = await client.POST('/v1/transactions/batch', { body: { items: [sale] } });
    expect(['inserted', 'pending']).toContain(ingested.data?.results[0]?.status);
    await eventually('the typed sale to be linked to its customer', async () => {
      const page = await client.GET('/v1/transactions', { params: { query: { customerId: customer.id } } });
      return page.data?.items.length === 1 ? page.data.items : undefined;
    }, 60_000);

    const scores = await client.GET('/v1/customers/{id}/scores', { params: { path: { id: customer.id } } });
    expect(scores.response.status).toBe(200);
    expect(scores.data?.customerId).toBe(customer.id);

    // @ts-expect-error the contract requires `kind` on create, and so do the generated types
    const kindless = await client.POST('/v1/customers', { body: { givenName: 'Nobody' } });
    expect(kindless.response.status).toBe(400);
    expect(kindless.error?.errors?.map((error) => error.field)).toEqual(['body.kind']);

    const missing = await client.GET('/v1/customers/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.error).toMatchObject({ type: 'urn:crm:problem:not-found', status: 404 });
  });

  it('authenticates with an OAuth 2.0 access token as the contract declares', async () => {
    const admin = crm();
    const registered = await admin.POST('/v1/api-clients', { body: { name: 'typed portal', principal: { kind: 'staff', subject: 'typed-analyst', roles: ['analyst'] } } });
    expect(registered.response.status).toBe(201);
    const apiClient = required(registered.data, 'registered client');
    expect(registered.response.headers.get('location')).toBe(`/v1/api-clients/${apiClient.id}`);
    const issued = await createCrmClient({ baseUrl: api }).POST('/oauth/token', {
      body: { grant_type: 'client_credentials', client_id: apiClient.clientId, client_secret: apiClient.clientSecret },
    });
    const token = required(issued.data, 'token').access_token;
    const listed = await createCrmClient({ baseUrl: api, token }).GET('/v1/customers', { params: { query: { limit: 1 } } });
    expect(listed.response.status).toBe(200);
    expect(listed.data?.items.length).toBe(1);
  });
});
