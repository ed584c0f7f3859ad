import { randomUUID } from 'node:crypto';
import { verifyPrincipal } from '@crm/platform';
import Fastify, { type FastifyInstance } from 'fastify';
import { asAdmin, deadPort, expectProblem, INTERNAL_SECRET, startGateway, type GatewayHarness } from './harness';

/**
 * The export composite against stand-in upstreams whose answers the tests choose: what reaches the
 * client when a service fails (never a partial export), and that the customers service's refusal wins.
 * The whole suite's export on the real services is tested in services/suite/test/export.int.test.ts.
 */
type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
interface StandIn {
  url: string;
  answer: Answer;
  /** Principals and paths it was asked with. */
  calls: { principal: unknown; url: string }[];
  close(): Promise<void>;
}

async function standIn(initial: Answer): Promise<StandIn> {
  const app: FastifyInstance = Fastify();
  const state: StandIn = { url: '', answer: initial, calls: [], close: () => app.close() };
  app.get('/openapi.json', async () => ({ openapi: '3.1.0', info: { title: 'stand-in', version: '0' }, paths: {} }));
  app.get('/*', async (request, reply) => {
    state.calls.push({ principal: verifyPrincipal(request.headers, INTERNAL_SECRET, { method: request.method, url: request.url }), url: request.url });
    const { status, body, headers } = state.answer;
    return reply.code(status).headers(headers ?? {}).send(body ?? null);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  state.url = `http://127.0.0.1:${address.port}`;
  return state;
}

const id = randomUUID();
const customerSection = { exportedAt: '2026-11-29T00:00:00.000Z', customer: { id, displayName: 'Ada' }, contacts: [], consentHistory: [], timeline: [] };
const scoringSection = { customerId: id, transactions: [{ id: randomUUID() }], scores: null, tierHistory: [], tierOverride: null, segments: [] };
const salesSection = { customerId: id, sections: { leads: [{ id: randomUUID() }] } };

let customers: StandIn;
let scoring: StandIn;
let sales: StandIn;
let h: GatewayHarness;

beforeAll(async () => {
  customers = await standIn({ status: 200, body: customerSection });
  scoring = await standIn({ status: 200, body: scoringSection });
  sales = await standIn({ status: 200, body: salesSection });
  h = await startGateway({ env: { CUSTOMERS_URL: customers.url, SCORING_URL: scoring.url, SALES_URL: sales.url, UPSTREAM_TIMEOUT_MS: '5000' } });
});
afterAll(async () => {
  await h?.close();
  await customers?.close();
  await scoring?.close();
  await sales?.close();
});
beforeEach(() => {
  customers.answer = { status: 200, body: customerSection };
  scoring.answer = { status: 200, body: scoringSection };
  sales.answer = { status: 200, body: salesSection };
  customers.calls.length = 0;
  scoring.calls.length = 0;
  sales.calls.length = 0;
});

const exportOf = (customerId = id) => h.inject({ method: 'GET', url: `/v1/customers/${customerId}/export`, headers: asAdmin });

describe('GET /v1/customers/{id}/export at the gateway', () => {
  it("answers one document: the customers service's record and every declaring service's section, each asked with the signed principal", async () => {
    const response = await exportOf();
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({ exportedAt: expect.any(String), customer: customerSection, services: { scoring: scoringSection, sales: salesSection } });
    expect(customers.calls).toEqual([{ principal: expect.objectContaining({ kind: 'staff', roles: ['admin'] }), url: `/v1/customers/${id}/export` }]);
    expect(scoring.calls).toEqual([{ principal: expect.objectContaining({ kind: 'staff', roles: ['admin'] }), url: `/v1/customers/${id}/personal-data` }]);
    expect(sales.calls).toEqual([{ principal: expect.objectContaining({ kind: 'staff', roles: ['admin'] }), url: `/v1/customers/${id}/personal-data` }]);
  });

  it("passes the customers service's refusal on and asks nobody else", async () => {
    const gone = { type: 'urn:crm:problem:customer-erased', title: 'The customer was erased', status: 410, detail: `customer ${id} was erased` };
    customers.answer = { status: 410, body: gone, headers: { 'content-type': 'application/problem+json' } };
    expect(expectProblem(await exportOf(), 410, gone.type)).toMatchObject({ detail: gone.detail });
    customers.answer = { status: 404, body: { type: 'urn:crm:problem:not-found', title: 'Not found', status: 404 } };
    expectProblem(await exportOf(), 404, 'urn:crm:problem:not-found');
    customers.answer = { status: 308, headers: { location: `/v1/customers/${randomUUID()}/export` } };
    const moved = await exportOf();
    expect(moved.statusCode).toBe(308);
    expect(moved.headers.location).toBe(customers.answer.headers?.location);
    expect(scoring.calls).toEqual([]);
  });

  it('answers 502 naming the service that failed its part, never a partial export', async () => {
    scoring.answer = { status: 500, body: { type: 'urn:crm:problem:internal', title: 'Internal error', status: 500 } };
    const failed = expectProblem(await exportOf(), 502, 'urn:crm:problem:bad-gateway');
    expect(failed).toMatchObject({ upstream: 'scoring', detail: expect.stringContaining('scoring') });
    expect(JSON.stringify(failed)).not.toContain('Ada');
    scoring.answer = { status: 200, body: 'not an object' };
    expect(expectProblem(await exportOf(), 502, 'urn:crm:problem:bad-gateway')).toMatchObject({ upstream: 'scoring' });
    customers.answer = { status: 500, body: { type: 'urn:crm:problem:internal', title: 'Internal error', status: 500 } };
    expect(expectProblem(await exportOf(), 502, 'urn:crm:problem:bad-gateway')).toMatchObject({ upstream: 'customers' });
  });

  it('answers 503 naming a service that cannot be reached, and 504 for one too slow', async () => {
    const unreachable = await startGateway({ env: { CUSTOMERS_URL: customers.url, SALES_URL: sales.url, SCORING_URL: `http://127.0.0.1:${await deadPort()}` } });
    try {
      const response = await unreachable.inject({ method: 'GET', url: `/v1/customers/${id}/export`, headers: asAdmin });
      expect(expectProblem(response, 503, 'urn:crm:problem:unavailable')).toMatchObject({ upstream: 'scoring' });
    } finally {
      await unreachable.close();
    }
    // The slow upstream answers long after the gateway's timeout; the timeout leaves the fast stand-ins
    // ample time even on a loaded machine, so only scoring can be the one that times out.
    const pending = new Set<NodeJS.Timeout>();
    const slow = Fastify();
    slow.get('/*', async () => new Promise((resolve) => pending.add(setTimeout(() => resolve({}), 20_000))));
    slow.get('/openapi.json', async () => ({ openapi: '3.1.0', info: { title: 'slow', version: '0' }, paths: {} }));
    await slow.listen({ host: '127.0.0.1', port: 0 });
    const address = slow.server.address();
    const slowGateway = await startGateway({
      env: { CUSTOMERS_URL: customers.url, SALES_URL: sales.url, SCORING_URL: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, UPSTREAM_TIMEOUT_MS: '2500' },
    });
    try {
      const response = await slowGateway.inject({ method: 'GET', url: `/v1/customers/${id}/export`, headers: asAdmin });
      expect(expectProblem(response, 504, 'urn:crm:problem:gateway-timeout')).toMatchObject({ upstream: 'scoring' });
    } finally {
      await slowGateway.close();
      for (const timer of pending) clearTimeout(timer);
      await slow.close();
    }
  });

  it('refuses an id that is not a uuid before asking anyone', async () => {
    expectProblem(await h.inject({ method: 'GET', url: '/v1/customers/42/export', headers: asAdmin }), 400, 'urn:crm:problem:validation');
    expect(customers.calls).toEqual([]);
  });

  it('needs credentials', async () => {
    expectProblem(await h.inject({ method: 'GET', url: `/v1/customers/${id}/export` }), 401, 'urn:crm:problem:unauthenticated');
    expect(customers.calls).toEqual([]);
  });
});
