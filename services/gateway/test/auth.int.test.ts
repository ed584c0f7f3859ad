import { randomUUID } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { sql } from 'kysely';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream';
import { ADMIN_KEY, asAdmin, bearer, expectProblem, startGateway, type GatewayHarness } from './harness';

const UNAUTHENTICATED = 'urn:crm:problem:unauthenticated';
const JWT_SECRET = 'auth-test-jwt-secret-0123456789abcdefghij';

let h: GatewayHarness;
/** Stands in for the customers service, which confirms that a dealer client's dealer exists. */
let customers: EchoUpstream;
beforeAll(async () => {
  customers = await startEchoUpstream();
  h = await startGateway({ env: { CRM_JWT_SECRET: JWT_SECRET, CRM_TOKEN_TTL_SECONDS: '900', CUSTOMERS_URL: customers.url } });
});
afterAll(async () => {
  await h?.close();
  await customers?.close();
});

interface Created {
  id: string;
  clientId: string;
  clientSecret: string;
  apiKey: string;
  principal: unknown;
}

const dealerPrincipal = { kind: 'dealer', subject: 'dealer-portal', dealerId: randomUUID() };
const adminPrincipal = { kind: 'staff', subject: 'ops-admin', roles: ['admin'] };

async function createClient(principal: object = dealerPrincipal, name = 'portal'): Promise<Created> {
  const response = await h.inject({ method: 'POST', url: '/v1/api-clients', headers: asAdmin, payload: { name, principal } });
  expect(response.statusCode).toBe(201);
  return response.json<Created>();
}

const tokenFor = (client: Created, via: 'form' | 'json' | 'basic' = 'form') => {
  switch (via) {
    case 'form':
      return h.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString(),
      });
    case 'json':
      return h.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret } });
    case 'basic':
      return h.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        },
        payload: 'grant_type=client_credentials',
      });
  }
};

const listClients = (headers: Record<string, string>) => h.inject({ method: 'GET', url: '/v1/api-clients', headers });

describe('bearer authentication', () => {
  it('accepts the bootstrap admin key', async () => {
    const response = await listClients(bearer(ADMIN_KEY));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ items: expect.any(Array), nextCursor: null });
  });

  it('answers a request without credentials with 401 problem+json and a Bearer challenge', async () => {
    const response = await listClients({});
    const body = expectProblem(response, 401, UNAUTHENTICATED);
    expect(body.detail).toMatch(/Authorization: Bearer/);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="crm"');
  });

  it.each([
    ['garbage', 'Bearer garbage'],
    ['an unknown API key', 'Bearer crm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a malformed JWT', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc'],
    ['a near miss of the admin key', `Bearer ${ADMIN_KEY}x`],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('rejects %s with 401', async (_case, authorization) => {
    const response = await listClients({ authorization });
    expectProblem(response, 401, UNAUTHENTICATED);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="crm", error="invalid_token"');
  });

  it('asks for credentials before saying a /v1 route does not exist', async () => {
    expectProblem(await h.inject({ method: 'GET', url: '/v1/nothing-here' }), 401, UNAUTHENTICATED);
    expectProblem(await h.inject({ method: 'GET', url: '/v1/nothing-here', headers: asAdmin }), 404, 'urn:crm:problem:not-found');
  });

  it.each(['/openapi.json', '/docs', '/health/live', '/metrics'])('serves %s without credentials', async (url) => {
    const response = await h.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
  });

  it('serves /health/ready without credentials, naming every upstream it cannot reach', async () => {
    // This harness runs no upstream services: the gateway stays ready (its own database answers) and says
    // which upstreams it cannot reach, so its 502s are explained.
    const response = await h.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    const checks = response.json<{ checks: { name: string; ok: boolean }[] }>().checks;
    expect(checks.find((c) => c.name === 'database')?.ok).toBe(true);
    expect(checks.filter((c) => c.name.startsWith('upstream ')).map((c) => [c.name.split(' ')[1], c.ok])).toEqual([
      ['customers', false],
      ['scoring', false],
      ['sales', false],
    ]);
  });
});

describe('API clients', () => {
  it('creates a client as admin and shows its key and secret once, storing only hashes', async () => {
    const response = await h.inject({ method: 'POST', url: '/v1/api-clients', headers: asAdmin, payload: { name: ' ERP sync ', principal: { kind: 'integration', subject: 'erp', system: 'erp' } } });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const created = response.json<Created & { name: string; revokedAt: null }>();
    expect(created).toMatchObject({ name: 'ERP sync', principal: { kind: 'integration', subject: 'erp', system: 'erp' }, revokedAt: null });
    expect(created.apiKey).toMatch(/^crm_[\w-]{43}$/);
    expect(created.clientSecret).toMatch(/^[\w-]{43}$/);

    const stored = await sql<{ row: string }>`select row_to_json(c)::text as row from gateway.api_client c where id = ${created.id}`.execute(h.db);
    const row = stored.rows[0]?.row ?? '';
    expect(row).toContain(created.clientId);
    expect(row).not.toContain(created.apiKey);
    expect(row).not.toContain(created.clientSecret);

    const listed = await listClients(asAdmin);
    const item = listed.json<{ items: Record<string, unknown>[] }>().items.find((c) => c.id === created.id);
    expect(item).toEqual({ id: created.id, name: 'ERP sync', principal: created.principal, clientId: created.clientId, createdAt: expect.any(String), revokedAt: null });
    expect(listed.body).not.toContain(created.apiKey);
    expect(listed.body).not.toContain(created.clientSecret);
  });

  it('authenticates with the new API key as the client principal', async () => {
    const dealer = await createClient();
    // The dealer principal is not admin staff: authenticated, but forbidden here.
    const response = await listClients(bearer(dealer.apiKey));
    const body = expectProblem(response, 403, 'urn:crm:problem:forbidden');
    expect(body.detail).toMatch(/admin/);
  });

  it('forbids non-admin principals from creating clients, and creates nothing', async () => {
    const analyst = await createClient({ kind: 'staff', subject: 'bi', roles: ['analyst', 'marketing'] });
    const dealer = await createClient();
    const before = await countClients();
    for (const key of [analyst.apiKey, dealer.apiKey]) {
      const response = await h.inject({ method: 'POST', url: '/v1/api-clients', headers: bearer(key), payload: { name: 'escalate', principal: adminPrincipal } });
      expectProblem(response, 403, 'urn:crm:problem:forbidden');
      expectProblem(await h.inject({ method: 'DELETE', url: `/v1/api-clients/${dealer.id}`, headers: bearer(key) }), 403, 'urn:crm:problem:forbidden');
    }
    expect(await countClients()).toBe(before);
  });

  it('pages through clients with a cursor', async () => {
    for (let i = 0; i < 3; i += 1) await createClient(dealerPrincipal, `page-${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const response = await h.inject({ method: 'GET', url: `/v1/api-clients${query}`, headers: asAdmin });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ items: { id: string }[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(await countClients());
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(seen);
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=500', 'query.limit'],
    ['limit=ten', 'query.limit'],
  ])('rejects ?%s naming %s', async (query, field) => {
    const body = expectProblem(await h.inject({ method: 'GET', url: `/v1/api-clients?${query}`, headers: asAdmin }), 400, 'urn:crm:problem:validation');
    expect(body.errors).toEqual([expect.objectContaining({ field })]);
  });

  it('rejects a cursor it did not issue', async () => {
    expectProblem(await h.inject({ method: 'GET', url: '/v1/api-clients?cursor=bm9wZQ', headers: asAdmin }), 400, 'urn:crm:problem:invalid-cursor');
  });

  it.each([
    ['an unknown field', { name: 'x', principal: dealerPrincipal, scopes: ['all'] }, 'body', /scopes/],
    ['a wrong type', { name: 42, principal: dealerPrincipal }, 'body.name', /string/],
    ['a blank name', { name: '   ', principal: dealerPrincipal }, 'body.name', /./],
    ['an unknown role', { name: 'x', principal: { kind: 'staff', subject: 's', roles: ['boss'] } }, 'body.principal.roles.0', /./],
    ['a dealer without a uuid', { name: 'x', principal: { kind: 'dealer', subject: 'd', dealerId: '42' } }, 'body.principal.dealerId', /./],
    ['an unknown principal kind', { name: 'x', principal: { kind: 'robot', subject: 'r' } }, 'body.principal.kind', /./],
    ['no principal', { name: 'x' }, 'body.principal', /./],
  ])('rejects %s with 400 naming the field, creating nothing', async (_case, payload, field, message) => {
    const before = await countClients();
    const body = expectProblem(await h.inject({ method: 'POST', url: '/v1/api-clients', headers: asAdmin, payload }), 400, 'urn:crm:problem:validation');
    const errors = body.errors as { field: string; message: string }[];
    expect(errors).toContainEqual({ field, message: expect.stringMatching(message) });
    expect(await countClients()).toBe(before);
  });

  it('rejects malformed JSON with 400 problem+json', async () => {
    const response = await h.inject({ method: 'POST', url: '/v1/api-clients', headers: { ...asAdmin, 'content-type': 'application/json' }, payload: '{"name": "x",' });
    expectProblem(response, 400, 'urn:crm:problem:malformed-json');
  });

  it('keeps the gateway\'s own routes to the normal body limit', async () => {
    const payload = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), principal: dealerPrincipal });
    const response = await h.inject({ method: 'POST', url: '/v1/api-clients', headers: { ...asAdmin, 'content-type': 'application/json' }, payload });
    expectProblem(response, 413, 'urn:crm:problem:payload-too-large');
  });

  it('replays a creation with the same Idempotency-Key, credentials included, and rejects the key for another request', async () => {
    const headers = { ...asAdmin, 'idempotency-key': `create-${randomUUID()}` };
    const payload = { name: 'replayed', principal: dealerPrincipal };
    const first = await h.inject({ method: 'POST', url: '/v1/api-clients', headers, payload });
    const before = await countClients();
    const second = await h.inject({ method: 'POST', url: '/v1/api-clients', headers, payload });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json()).toEqual(first.json());
    expect(await countClients()).toBe(before);
    // The stored response keeps the credentials sealed, never in clear.
    const stored = await sql<{ response: string }>`select response::text as response from gateway.idempotency_key where key = ${headers['idempotency-key']}`.execute(h.db);
    expect(stored.rows[0]?.response).not.toContain(first.json<Created>().apiKey);
    expect(stored.rows[0]?.response).not.toContain(first.json<Created>().clientSecret);

    const other = await h.inject({ method: 'POST', url: '/v1/api-clients', headers, payload: { ...payload, name: 'different' } });
    expectProblem(other, 422, 'urn:crm:problem:idempotency-key-reused');
    expect(await countClients()).toBe(before);
  });
});

describe('POST /oauth/token', () => {
  it.each(['form', 'json', 'basic'] as const)('issues a bearer JWT for client credentials sent as %s', async (via) => {
    const client = await createClient(adminPrincipal);
    const response = await tokenFor(client, via);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const token = response.json<{ access_token: string; token_type: string; expires_in: number }>();
    expect(token).toEqual({ access_token: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'Bearer', expires_in: 900 });
    const claims = JSON.parse(Buffer.from(token.access_token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toEqual({ sub: client.clientId, principal: adminPrincipal, iss: 'crm-gateway', iat: expect.any(Number), exp: (claims.iat as number) + 900 });
    // The token authenticates as the client's principal (admin here).
    expect((await listClients(bearer(token.access_token))).statusCode).toBe(200);
  });

  it('carries the client principal: a dealer token is forbidden admin routes', async () => {
    const token = (await tokenFor(await createClient())).json<{ access_token: string }>().access_token;
    expectProblem(await listClients(bearer(token)), 403, 'urn:crm:problem:forbidden');
  });

  it.each([
    ['a wrong secret', (c: Created) => ({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: `${c.clientSecret}x` })],
    ['an unknown client', () => ({ grant_type: 'client_credentials', client_id: 'cid_nobody', client_secret: 'secret' })],
    ['no credentials', () => ({ grant_type: 'client_credentials' })],
  ])('answers %s with 401 invalid_client', async (_case, body) => {
    const client = await createClient();
    const response = await h.inject({ method: 'POST', url: '/oauth/token', payload: body(client) });
    const problem = expectProblem(response, 401, 'urn:crm:problem:invalid-client');
    expect(problem).toMatchObject({ error: 'invalid_client', error_description: expect.any(String) });
    expect(response.headers['www-authenticate']).toBe('Basic realm="crm"');
  });

  it('answers wrong Basic credentials with 401 invalid_client', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic bm90LWJhc2ljLWNyZWRz' },
      payload: 'grant_type=client_credentials',
    });
    expect(expectProblem(response, 401, 'urn:crm:problem:invalid-client')).toMatchObject({ error: 'invalid_client' });
  });

  it('answers an unsupported grant type with 400 unsupported_grant_type', async () => {
    const client = await createClient();
    const response = await h.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'password', client_id: client.clientId, client_secret: client.clientSecret } });
    const problem = expectProblem(response, 400, 'urn:crm:problem:unsupported-grant-type');
    expect(problem).toMatchObject({ error: 'unsupported_grant_type', error_description: expect.stringMatching(/password/) });
  });

  it.each([
    ['no grant_type', { 'content-type': 'application/json' }, JSON.stringify({ client_id: 'a', client_secret: 'b' }), 'urn:crm:problem:validation'],
    ['a grant_type of the wrong type', { 'content-type': 'application/json' }, JSON.stringify({ grant_type: 7 }), 'urn:crm:problem:validation'],
    ['malformed JSON', { 'content-type': 'application/json' }, '{"grant_type":', 'urn:crm:problem:malformed-json'],
    ['a repeated parameter', { 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=client_credentials&grant_type=password', 'urn:crm:problem:validation'],
  ])('answers %s with 400 invalid_request', async (_case, headers, payload, type) => {
    const problem = expectProblem(await h.inject({ method: 'POST', url: '/oauth/token', headers, payload }), 400, type);
    expect(problem).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) });
    if (type === 'urn:crm:problem:validation' && !_case.includes('repeated')) expect(problem.errors).toContainEqual(expect.objectContaining({ field: 'body.grant_type' }));
  });

  it('refuses client authentication by Basic and body at once', async () => {
    const client = await createClient();
    const response = await h.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      payload: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret },
    });
    expect(expectProblem(response, 400, 'urn:crm:problem:validation')).toMatchObject({ error: 'invalid_request' });
  });

  it('answers an unsupported content type with 415 problem+json', async () => {
    const response = await h.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/xml' }, payload: '<grant_type>client_credentials</grant_type>' });
    expect(expectProblem(response, 415, 'urn:crm:problem:unsupported-media-type')).toMatchObject({ error: 'invalid_request' });
  });
});

describe('access tokens', () => {
  it('stop working once expired (by the injected clock)', async () => {
    const token = (await tokenFor(await createClient(adminPrincipal))).json<{ access_token: string }>().access_token;
    expect((await listClients(bearer(token))).statusCode).toBe(200);
    h.clock.advance(901_000);
    try {
      const body = expectProblem(await listClients(bearer(token)), 401, UNAUTHENTICATED);
      expect(body.detail).toMatch(/expired/);
    } finally {
      h.clock.advance(-901_000);
    }
  });

  it('are refused when tampered with, signed with another key or by another issuer', async () => {
    const client = await createClient({ kind: 'staff', subject: 'sales-1', roles: ['sales'] });
    const token = (await tokenFor(client)).json<{ access_token: string }>().access_token;
    const [header, , signature] = token.split('.');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: client.clientId, principal: adminPrincipal, iat: now, exp: now + 60 };
    const escalated = `${header}.${Buffer.from(JSON.stringify({ ...claims, iss: 'crm-gateway' })).toString('base64url')}.${signature}`;
    const foreign = createSigner({ key: 'some-other-secret-0123456789abcdefghij', iss: 'crm-gateway' })(claims);
    const otherIssuer = createSigner({ key: JWT_SECRET, iss: 'someone-else' })(claims);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: 'crm-gateway' })).toString('base64url')}.`;
    for (const forged of [escalated, foreign, otherIssuer, unsigned]) {
      expectProblem(await listClients(bearer(forged)), 401, UNAUTHENTICATED);
    }
  });
});

describe('revocation', () => {
  it('refuses the API key, the client credentials and issued tokens at once', async () => {
    const client = await createClient(adminPrincipal);
    const token = (await tokenFor(client)).json<{ access_token: string }>().access_token;
    // Both credentials work (and are now cached as active).
    expect((await listClients(bearer(client.apiKey))).statusCode).toBe(200);
    expect((await listClients(bearer(token))).statusCode).toBe(200);

    const revoked = await h.inject({ method: 'DELETE', url: `/v1/api-clients/${client.id}`, headers: asAdmin });
    expect(revoked.statusCode).toBe(204);
    expect(revoked.body).toBe('');

    expectProblem(await listClients(bearer(client.apiKey)), 401, UNAUTHENTICATED);
    expectProblem(await listClients(bearer(token)), 401, UNAUTHENTICATED);
    expect(expectProblem(await tokenFor(client), 401, 'urn:crm:problem:invalid-client')).toMatchObject({ error: 'invalid_client' });

    const listed = (await listClients(asAdmin)).json<{ items: { id: string; revokedAt: string | null }[] }>();
    expect(listed.items.find((c) => c.id === client.id)?.revokedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    // Revoking again changes nothing and still answers 204.
    expect((await h.inject({ method: 'DELETE', url: `/v1/api-clients/${client.id}`, headers: asAdmin })).statusCode).toBe(204);
  });

  it('reaches another replica once its short credential cache expires', async () => {
    const replica = await startGateway({ shareDatabaseOf: h, env: { CRM_JWT_SECRET: JWT_SECRET, CRM_AUTH_CACHE_SECONDS: '5', CUSTOMERS_URL: customers.url } });
    try {
      const client = await createClient(adminPrincipal);
      expect((await replica.inject({ method: 'GET', url: '/v1/api-clients', headers: bearer(client.apiKey) })).statusCode).toBe(200);
      expect((await h.inject({ method: 'DELETE', url: `/v1/api-clients/${client.id}`, headers: asAdmin })).statusCode).toBe(204);
      // The replica that did not revoke trusts its cached lookup for at most CRM_AUTH_CACHE_SECONDS.
      expect((await replica.inject({ method: 'GET', url: '/v1/api-clients', headers: bearer(client.apiKey) })).statusCode).toBe(200);
      replica.clock.advance(5_001);
      expectProblem(await replica.inject({ method: 'GET', url: '/v1/api-clients', headers: bearer(client.apiKey) }), 401, UNAUTHENTICATED);
    } finally {
      await replica.close();
    }
  });

  it.each([
    [randomUUID(), 404, 'urn:crm:problem:not-found'],
    ['not-a-uuid', 400, 'urn:crm:problem:validation'],
  ])('answers DELETE of %s with %i', async (id, status, type) => {
    expectProblem(await h.inject({ method: 'DELETE', url: `/v1/api-clients/${id}`, headers: asAdmin }), status, type);
  });
});

async function countClients(): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from gateway.api_client`.execute(h.db);
  return Number(rows[0]?.n);
}
