import { randomUUID } from 'node:crypto';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream';
import { asAdmin, bearer, expectProblem, startGateway, type GatewayHarness } from './harness';

let upstream: EchoUpstream;
let h: GatewayHarness;
/** Another replica on the same database, with the default limits: where the test's API clients are registered. */
let registry: GatewayHarness;

const LIMITS = { RATE_LIMIT_READS_PER_MINUTE: '3', RATE_LIMIT_WRITES_PER_MINUTE: '2', RATE_LIMIT_BULK_PER_MINUTE: '1', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '2' };

async function newClient(name: string, principal: object): Promise<Record<string, string>> {
  const created = await registry.inject({ method: 'POST', url: '/v1/api-clients', headers: asAdmin, payload: { name, principal } });
  expect(created.statusCode).toBe(201);
  return bearer(created.json<{ apiKey: string }>().apiKey);
}

const expectRateLimited = (response: Awaited<ReturnType<GatewayHarness['inject']>>) => {
  const body = expectProblem(response, 429, 'urn:crm:problem:rate-limited');
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  return body;
};

beforeAll(async () => {
  upstream = await startEchoUpstream();
  registry = await startGateway({ env: { CUSTOMERS_URL: upstream.url } });
  h = await startGateway({ shareDatabaseOf: registry, env: { CUSTOMERS_URL: upstream.url, ...LIMITS } });
});
afterAll(async () => {
  await h?.close();
  await registry?.close();
  await upstream?.close();
});

describe('rate limits per principal and route class', () => {
  it('answers 429 problem+json with Retry-After past the read limit, without reaching the upstream', async () => {
    const dealer = await newClient('dealer reads', { kind: 'dealer', subject: 'portal-reads', dealerId: randomUUID() });
    for (let i = 0; i < 3; i += 1) expect((await h.inject({ method: 'GET', url: '/v1/customers', headers: dealer })).statusCode).toBe(200);
    const hits = upstream.hits;
    const refused = await h.inject({ method: 'GET', url: '/v1/customers/1', headers: dealer });
    expect(expectRateLimited(refused).detail).toMatch(/3 reads requests a minute/);
    expect(upstream.hits).toBe(hits);
    // HEAD is a read too (its answer has no body).
    const head = await h.inject({ method: 'HEAD', url: '/v1/customers', headers: dealer });
    expect([head.statusCode, Number(head.headers['retry-after'])]).toEqual([429, expect.any(Number)]);
  });

  it("keys on the principal, not the address: another principal from the same IP keeps its allowance", async () => {
    const dealerId = randomUUID();
    const first = await newClient('first', { kind: 'dealer', subject: 'portal-a', dealerId });
    const second = await newClient('second', { kind: 'dealer', subject: 'portal-b', dealerId });
    const erp = await newClient('erp', { kind: 'integration', subject: 'erp-sync', system: 'erp' });
    for (let i = 0; i < 3; i += 1) await h.inject({ method: 'GET', url: '/v1/customers', headers: first, remoteAddress: '10.0.0.1' });
    expectRateLimited(await h.inject({ method: 'GET', url: '/v1/customers', headers: first, remoteAddress: '10.0.0.2' }));
    for (const other of [second, erp]) {
      expect((await h.inject({ method: 'GET', url: '/v1/customers', headers: other, remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    }
  });

  it('counts reads, writes and bulk calls apart', async () => {
    const erp = await newClient('erp classes', { kind: 'integration', subject: 'erp-classes', system: 'erp' });
    for (let i = 0; i < 3; i += 1) await h.inject({ method: 'GET', url: '/v1/customers', headers: erp });
    expectRateLimited(await h.inject({ method: 'GET', url: '/v1/dealers', headers: erp }));
    // Reads used up; writes and bulk still have theirs.
    for (let i = 0; i < 2; i += 1) expect((await h.inject({ method: 'PATCH', url: '/v1/customers/7', headers: erp, payload: {} })).statusCode).toBe(200);
    expect(expectRateLimited(await h.inject({ method: 'DELETE', url: '/v1/customers/7', headers: erp })).detail).toMatch(/2 writes/);
    const batch = { method: 'POST' as const, url: '/v1/customers/batch', headers: { ...erp, 'content-type': 'application/x-ndjson' }, payload: '{}\n' };
    expect((await h.inject(batch)).statusCode).toBe(200);
    expect(expectRateLimited(await h.inject(batch)).detail).toMatch(/1 bulk/);
    expectRateLimited(await h.inject({ ...batch, url: '/v1/transactions/batch' }));
  });

  it('limits unauthenticated calls such as /oauth/token per client address', async () => {
    const attempt = (remoteAddress: string) =>
      h.inject({ method: 'POST', url: '/oauth/token', remoteAddress, payload: { grant_type: 'client_credentials', client_id: 'cid_guess', client_secret: 'guess' } });
    for (let i = 0; i < 2; i += 1) expectProblem(await attempt('203.0.113.5'), 401, 'urn:crm:problem:invalid-client');
    expectRateLimited(await attempt('203.0.113.5'));
    expectProblem(await attempt('203.0.113.6'), 401, 'urn:crm:problem:invalid-client');
  });

  it('limits refused credentials per client address: guessing keys ends in 429', async () => {
    const hits = upstream.hits;
    const guess = (remoteAddress: string) => h.inject({ method: 'GET', url: '/v1/customers', remoteAddress, headers: bearer(`crm_guess-${randomUUID()}`) });
    for (let i = 0; i < 2; i += 1) expectProblem(await guess('192.0.2.7'), 401, 'urn:crm:problem:unauthenticated');
    expectRateLimited(await guess('192.0.2.7'));
    expectProblem(await guess('192.0.2.8'), 401, 'urn:crm:problem:unauthenticated');
    expect(upstream.hits).toBe(hits);
  });

  it('leaves health, metrics and the documents unlimited', async () => {
    for (let i = 0; i < 5; i += 1) {
      for (const url of ['/health/live', '/metrics']) expect((await h.inject({ method: 'GET', url, remoteAddress: '198.51.100.1' })).statusCode).toBe(200);
    }
  });

  it('turns a class off with 0', async () => {
    const unlimited = await startGateway({ env: { CUSTOMERS_URL: upstream.url, ...LIMITS, RATE_LIMIT_READS_PER_MINUTE: '0' } });
    try {
      for (let i = 0; i < 6; i += 1) expect((await unlimited.inject({ method: 'GET', url: '/v1/customers', headers: asAdmin })).statusCode).toBe(200);
    } finally {
      await unlimited.close();
    }
  });
});
