import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { signPrincipal } from '@crm/platform';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream';
import { asAdmin, bearer, deadPort, expectProblem, INTERNAL_SECRET, startGateway, type GatewayHarness } from './harness';

interface Echo {
  principal: unknown;
  method: string;
  url: string;
  headers: Record<string, string>;
}

const dealer = { kind: 'dealer', subject: 'dealer-portal', dealerId: randomUUID() } as const;
const bootstrapAdmin = { kind: 'staff', subject: 'bootstrap-admin', roles: ['admin'] };

let upstream: EchoUpstream;
let h: GatewayHarness;
let dealerKey: string;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  h = await startGateway({ env: { CUSTOMERS_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '500' } });
  const created = await h.inject({ method: 'POST', url: '/v1/api-clients', headers: asAdmin, payload: { name: 'portal', principal: dealer } });
  dealerKey = created.json<{ apiKey: string }>().apiKey;
});
afterAll(async () => {
  await h?.close();
  await upstream?.close();
});

describe('forwarding to the owning upstream', () => {
  it.each(['/v1/customers', '/v1/customers/42/contacts?limit=5&cursor=abc', '/v1/dealers', '/v1/attribute-definitions/tier'])(
    'routes %s with the principal signed and verifiable',
    async (url) => {
      const response = await h.inject({ method: 'GET', url, headers: bearer(dealerKey) });
      expect(response.statusCode).toBe(200);
      const echo = response.json<Echo>();
      // The upstream verified it with verifyPrincipal and the shared secret.
      expect(echo.principal).toEqual(dealer);
      expect(echo.url).toBe(url);
    },
  );

  it("routes another service's sub-resource of a customer to that service, the rest to customers", async () => {
    const scoring = await startEchoUpstream();
    const both = await startGateway({ env: { CUSTOMERS_URL: upstream.url, SCORING_URL: scoring.url } });
    try {
      const [customersBefore, scoringBefore] = [upstream.hits, scoring.hits];
      expect((await both.inject({ method: 'GET', url: '/v1/customers/7/scores', headers: asAdmin })).json<Echo>().url).toBe('/v1/customers/7/scores');
      expect((await both.inject({ method: 'GET', url: '/v1/customers/7/timeline?limit=2', headers: asAdmin })).json<Echo>().url).toBe('/v1/customers/7/timeline?limit=2');
      expect((await both.inject({ method: 'GET', url: '/v1/customers/7', headers: asAdmin })).statusCode).toBe(200);
      expect([upstream.hits - customersBefore, scoring.hits - scoringBefore]).toEqual([2, 1]);
    } finally {
      await both.close();
      await scoring.close();
    }
  });

  it('forwards methods and JSON bodies', async () => {
    const response = await h.inject({ method: 'PATCH', url: '/v1/customers/7', headers: { ...asAdmin, 'if-match': '"3"' }, payload: { displayName: 'Li Wei' } });
    expect(response.statusCode).toBe(200);
    const echo = response.json<Echo>();
    expect(echo).toMatchObject({ method: 'PATCH', principal: bootstrapAdmin });
    expect(echo.headers['if-match']).toBe('"3"');
  });

  it('strips the client credentials and any principal the client sent (no spoofing)', async () => {
    const forged = signPrincipal({ kind: 'staff', subject: 'mallory', roles: ['admin'] }, INTERNAL_SECRET, { method: 'GET', url: '/v1/customers' });
    const response = await h.inject({
      method: 'GET',
      url: '/v1/customers',
      headers: { ...bearer(dealerKey), ...forged, 'x-crm-principal-extra': 'admin', cookie: 'session=1' },
    });
    expect(response.statusCode).toBe(200);
    const echo = response.json<Echo>();
    expect(echo.principal).toEqual(dealer);
    expect(echo.headers['x-crm-principal']).not.toBe(forged['x-crm-principal']);
    expect(echo.headers['x-crm-principal-signature']).not.toBe(forged['x-crm-principal-signature']);
    expect(echo.headers).not.toHaveProperty('x-crm-principal-extra');
    expect(echo.headers).not.toHaveProperty('authorization');
    expect(echo.headers.cookie).toBe('session=1');
  });

  it('forwards the request id and continues the trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const incoming = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const response = await h.inject({ method: 'GET', url: '/v1/customers', headers: { ...bearer(dealerKey), 'x-request-id': 'req-proxy-1', traceparent: incoming } });
    const echo = response.json<Echo>();
    expect(echo.headers['x-request-id']).toBe('req-proxy-1');
    expect(response.headers['x-request-id']).toBe('req-proxy-1');
    expect(echo.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(echo.headers.traceparent).not.toBe(incoming);
  });

  it('starts a trace and a request id when the client sends none', async () => {
    const echo = (await h.inject({ method: 'GET', url: '/v1/customers', headers: bearer(dealerKey) })).json<Echo>();
    expect(echo.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(echo.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes upstream problem+json through unchanged', async () => {
    const direct = await fetch(`${upstream.url}/v1/customers/conflict`, { headers: signPrincipal(dealer, INTERNAL_SECRET, { method: 'GET', url: '/v1/customers/conflict' }) });
    const response = await h.inject({ method: 'GET', url: '/v1/customers/conflict', headers: bearer(dealerKey) });
    expect(response.statusCode).toBe(409);
    expect(response.statusCode).toBe(direct.status);
    expect(response.headers['content-type']).toBe(direct.headers.get('content-type'));
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers.etag).toBe('"7"');
    expect(response.body).toBe(await direct.text());
    expect(response.json()).toEqual({ type: 'urn:crm:problem:conflict', title: 'Conflict', status: 409, detail: 'from upstream' });
  });

  it('never lets an unauthenticated request reach the upstream', async () => {
    const before = upstream.hits;
    for (const headers of [{}, bearer('crm_forged'), signPrincipal(dealer, INTERNAL_SECRET, { method: 'POST', url: '/v1/customers' })]) {
      const response = await h.inject({ method: 'POST', url: '/v1/customers', headers, payload: { kind: 'person' } });
      expectProblem(response, 401, 'urn:crm:problem:unauthenticated');
    }
    expect(upstream.hits).toBe(before);
  });

  it('does not route prefixes it does not own', async () => {
    const before = upstream.hits;
    expectProblem(await h.inject({ method: 'GET', url: '/v1/customersx', headers: bearer(dealerKey) }), 404, 'urn:crm:problem:not-found');
    expectProblem(await h.inject({ method: 'GET', url: '/v1/internal-only', headers: bearer(dealerKey) }), 404, 'urn:crm:problem:not-found');
    expect(upstream.hits).toBe(before);
  });
});

describe('large bodies', () => {
  it('streams a 20 MB NDJSON batch to the upstream past the gateway body limit', async () => {
    const address = await h.gateway.app.listen({ host: '127.0.0.1', port: 0 });
    const line = `${JSON.stringify({ externalId: 'x'.repeat(80), kind: 'person', givenName: 'Li' })}\n`;
    const block = line.repeat(1000);
    const blocks = Math.ceil((20 * 1024 * 1024) / block.length);
    const hash = createHash('sha256');
    let sent = 0;
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < blocks; i += 1) {
          const chunk = Buffer.from(block);
          hash.update(chunk);
          sent += chunk.length;
          yield chunk;
        }
      })(),
    );
    const response = await fetch(`${address}/v1/customers/batch`, {
      method: 'POST',
      headers: { ...bearer(dealerKey), 'content-type': 'application/x-ndjson' },
      body: Readable.toWeb(body) as ReadableStream,
      duplex: 'half',
    });
    expect(response.status).toBe(200);
    const received = (await response.json()) as { bytes: number; sha256: string; principal: unknown };
    expect(sent).toBeGreaterThan(20 * 1024 * 1024);
    expect(received).toEqual({ bytes: sent, sha256: hash.digest('hex'), principal: dealer });
  });

  it('lets the upstream decide about a JSON body under the gateway limit', async () => {
    const payload = JSON.stringify({ items: ['x'.repeat(512 * 1024)] });
    const response = await h.inject({ method: 'PUT', url: '/v1/customers/by-external-id/erp/1', headers: { ...bearer(dealerKey), 'content-type': 'application/json' }, payload });
    // The echo upstream has a 1 KiB limit of its own: its answer, not the gateway's, comes back.
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ message: expect.stringMatching(/too large/i) });
  });
});

describe('upstream failures', () => {
  it('answers 504 problem+json when the upstream is too slow', async () => {
    const body = expectProblem(await h.inject({ method: 'GET', url: '/v1/customers/slow', headers: bearer(dealerKey) }), 504, 'urn:crm:problem:gateway-timeout');
    expect(body.detail).toMatch(/customers/);
  });

  it('gives the long-running routes of the routing table the long deadline, and only those', async () => {
    const scoring = await startEchoUpstream();
    const gateway = await startGateway({ env: { CUSTOMERS_URL: upstream.url, SCORING_URL: scoring.url, UPSTREAM_TIMEOUT_MS: '500', UPSTREAM_LONG_TIMEOUT_MS: '5000' } });
    try {
      const fit = await gateway.inject({ method: 'POST', url: '/v1/scoring/models/clv/fit', headers: asAdmin, payload: {} });
      expect([fit.statusCode, fit.json()]).toEqual([200, { slow: true, url: '/v1/scoring/models/clv/fit' }]);
      const tiers = await gateway.inject({ method: 'PUT', url: '/v1/tiers', headers: asAdmin, payload: {} });
      expect([tiers.statusCode, tiers.json()]).toEqual([200, { slow: true, url: '/v1/tiers' }]);
      // The rest of the same service and prefixes keep the short deadline.
      expect((await gateway.inject({ method: 'GET', url: '/v1/tiers/anything', headers: asAdmin })).statusCode).toBe(200);
      expectProblem(await gateway.inject({ method: 'GET', url: '/v1/scoring/slow', headers: asAdmin }), 504, 'urn:crm:problem:gateway-timeout');
    } finally {
      await gateway.close();
      await scoring.close();
    }
  });

  it('answers 502 problem+json when the upstream cannot be reached', async () => {
    const unreachable = await startGateway({ env: { CUSTOMERS_URL: `http://127.0.0.1:${await deadPort()}` } });
    try {
      // Over real HTTP: a request body is streaming to the upstream when the connection fails.
      const address = await unreachable.gateway.app.listen({ host: '127.0.0.1', port: 0 });
      for (const init of [{ method: 'GET' }, { method: 'POST', body: JSON.stringify({ kind: 'person' }) }]) {
        const response = await fetch(`${address}/v1/customers`, { ...init, headers: { ...asAdmin, 'content-type': 'application/json' } });
        expect(response.status).toBe(502);
        expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
        expect(await response.json()).toMatchObject({ type: 'urn:crm:problem:bad-gateway', status: 502, detail: expect.stringMatching(/customers/) });
      }
    } finally {
      await unreachable.close();
    }
  });
});
