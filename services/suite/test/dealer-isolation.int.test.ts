import { randomUUID } from 'node:crypto';
import { eventually } from '@crm/testkit';
import { ADMIN, callJson, startSuite, type RunningSuite } from './harness';

/**
 * Dealer write isolation through the gateway (issue 7 §1.1–1.4, ADR 0008): dealer A and dealer B with
 * API keys, an ERP integration key and the admin, on real PostgreSQL, real Kafka and real HTTP.
 */
let suite: RunningSuite;
let api: string;
type Headers = Record<string, string>;

const call = (method: string, url: string, headers: Headers, body?: unknown) => callJson(api, method, url, headers, body);
let clientOfA: { clientId: string; clientSecret: string };
const apiKey = async (name: string, principal: unknown): Promise<Headers> => {
  const client = await call('POST', '/v1/api-clients', ADMIN, { name, principal });
  expect(client.status).toBe(201);
  if (name === 'A portal') clientOfA = client.body;
  return { authorization: `Bearer ${client.body.apiKey}` };
};
/** An OAuth2 access token (client credentials) for dealer A's client: the same confinement as its API key. */
const tokenOfA = async (): Promise<Headers> => {
  const res = await fetch(`${api}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientOfA.clientId, client_secret: clientOfA.clientSecret }),
  });
  return { authorization: `Bearer ${((await res.json()) as { access_token: string }).access_token}` };
};
const sale = (externalId: string, customer: unknown) => ({
  sourceSystem: 'erp',
  externalId,
  customer,
  occurredAt: '2026-06-01T10:00:00Z',
  type: 'sale',
  amount: { amount: '250.00', currency: 'CNY' },
  quantity: 1,
});

let dealerA: string;
let dealerB: string;
let A: Headers;
let B: Headers;
let ERP: Headers;
/** A's customer (created by A, with A's own erp/DA-1) and B's customer (the ERP's erp/CB-1). */
let customerA: string;
let customerB: string;

beforeAll(async () => {
  suite = await startSuite('dealer-isolation-test');
  api = suite.api;

  dealerA = (await call('POST', '/v1/dealers', ADMIN, { code: 'DA-01', name: 'Dealer A' })).body.id;
  dealerB = (await call('POST', '/v1/dealers', ADMIN, { code: 'DB-01', name: 'Dealer B' })).body.id;
  A = await apiKey('A portal', { kind: 'dealer', subject: 'portal', dealerId: dealerA });
  B = await apiKey('B portal', { kind: 'dealer', subject: 'portal', dealerId: dealerB });
  ERP = await apiKey('ERP', { kind: 'integration', subject: 'erp-sync', system: 'erp' });

  const a = await call('POST', '/v1/customers', A, { kind: 'person', givenName: 'Ann', externalIds: [{ system: 'erp', id: 'DA-1' }] });
  expect(a.status).toBe(201);
  customerA = a.body.id;
  const b = await call('PUT', '/v1/customers/by-external-id/erp/CB-1', ERP, { kind: 'person', givenName: 'Bob', dealerId: dealerB });
  expect(b.status).toBe(201);
  customerB = b.body.id;
  // The ERP's sale of B's customer, scored, once the customer reached scoring.
  await eventually("B's customer in scoring", async () => ((await call('GET', `/v1/customers/${customerB}/scores`, ADMIN)).status === 200 ? true : undefined), 60_000);
  expect((await call('POST', '/v1/transactions/batch', ERP, { items: [sale('INV-B-1', { externalId: { system: 'erp', id: 'CB-1' } })] })).body.results[0].status).toBe('inserted');
  await eventually(
    "B's customer scored",
    async () => ((await call('GET', `/v1/customers/${customerB}/scores`, ADMIN)).body?.historical?.orderCount === 1 ? true : undefined),
    60_000,
  );
}, 120_000);
afterAll(() => suite?.close());

/** What another dealer's calls must never move: B's customer, its transactions and its scores. */
const stateOfB = async () => ({
  customer: (await call('GET', `/v1/customers/${customerB}`, ADMIN)).body,
  transactions: (await call('GET', `/v1/transactions?customerId=${customerB}`, ADMIN)).body.items,
  scores: (await call('GET', `/v1/customers/${customerB}/scores`, ADMIN)).body,
});

describe('a dealer through the gateway', () => {
  it("posts transactions only for its own customers: another dealer's or an unknown one is one identical not-found", async () => {
    const before = await stateOfB();
    // A's customer reaches scoring with A's own namespace for erp/DA-1 (through Kafka): once there, A's sale lands.
    const own = await eventually(
      "A's customer in scoring",
      async () => {
        const res = await call('POST', '/v1/transactions/batch', A, { items: [sale('INV-A-1', { externalId: { system: 'erp', id: 'DA-1' } })] });
        return res.body.results[0].status === 'inserted' ? res : undefined;
      },
      30_000,
    );
    expect(own.body.results[0].status).toBe('inserted');
    const res = await call('POST', '/v1/transactions/batch', A, {
      items: [sale('INV-A-2', { id: customerB }), sale('INV-A-3', { externalId: { system: 'erp', id: 'CB-1' } }), sale('INV-A-4', { id: randomUUID() }), sale('INV-A-5', { externalId: { system: 'erp', id: 'NOBODY' } })],
    });
    expect(res.status).toBe(200);
    const results = res.body.results as { status: string; reason: string }[];
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(new Set(results.map((r) => r.reason)).size).toBe(1);
    expect(results[0]!.reason).toMatch(/^not-found/);
    // The ERP's erp/DA-1 is not A's: for the ERP that customer does not exist yet.
    expect((await call('POST', '/v1/transactions/batch', ERP, { items: [sale('INV-E-1', { externalId: { system: 'erp', id: 'DA-1' } })] })).body.results[0].status).toBe('pending');
    // A's invoice number INV-B-1 is A's own, not a duplicate of the ERP's.
    expect((await call('POST', '/v1/transactions/batch', A, { items: [sale('INV-B-1', { id: customerA })] })).body.results[0].status).toBe('inserted');
    expect(await stateOfB()).toEqual(before);
  });

  it("reads only its customers' transactions and scores; another dealer's customer is a 404 like an unknown one", async () => {
    const mine = (await call('GET', '/v1/transactions?limit=200', A)).body.items as { customerId: string }[];
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((t) => t.customerId))).toEqual(new Set([customerA]));
    expect((await call('GET', `/v1/transactions?customerId=${customerB}`, A)).body.items).toEqual([]);
    const token = await tokenOfA();
    expect((await call('GET', '/v1/transactions?limit=200', token)).body.items).toEqual(mine);
    const viaToken = await call('POST', '/v1/transactions/batch', token, { items: [sale('INV-T-1', { id: customerB })] });
    expect(viaToken.body.results[0].reason).toMatch(/^not-found/);
    expect((await call('GET', `/v1/customers/${customerB}/scores`, token)).status).toBe(404);
    const unknownId = randomUUID();
    for (const path of ['', '/scores', '/tier-history', '/timeline', '/export']) {
      const foreign = await call('GET', `/v1/customers/${customerB}${path}`, A);
      const unknown = await call('GET', `/v1/customers/${unknownId}${path}`, A);
      expect([foreign.status, unknown.status]).toEqual([404, 404]);
      expect(foreign.text).toBe(unknown.text.replaceAll(unknownId, customerB));
    }
  });

  it("changes nothing of another dealer's customer: every write is the same 404 as for an unknown id", async () => {
    const before = await stateOfB();
    const unknownId = randomUUID();
    const writes: [string, (id: string) => string, Headers, unknown][] = [
      ['PATCH', (id) => `/v1/customers/${id}`, { 'if-match': '*' }, { lifecycleStage: 'churned' }],
      ['PUT', (id) => `/v1/customers/${id}/consents/email`, {}, { granted: true, source: 'portal' }],
      ['POST', (id) => `/v1/customers/${id}/contacts`, {}, { personId: customerA, buyingRole: 'user' }],
    ];
    for (const [method, path, headers, body] of writes) {
      const foreign = await call(method, path(customerB), { ...A, ...headers }, body);
      const unknown = await call(method, path(unknownId), { ...A, ...headers }, body);
      expect([foreign.status, unknown.status]).toEqual([404, 404]);
      expect(foreign.text).toBe(unknown.text.replaceAll(unknownId, customerB));
    }
    const batch = await call('POST', '/v1/customers/batch', A, { items: [{ id: customerB, customer: { lifecycleStage: 'churned' } }] });
    expect(batch.body.results[0].error.type).toBe('urn:crm:problem:not-found');
    // A dealer may never erase: the principal kind is refused, for any customer.
    expect((await call('DELETE', `/v1/customers/${customerB}`, A)).status).toBe(403);
    expect(await stateOfB()).toEqual(before);
  });

  it("keeps external ids apart: A's upsert of the ERP's id makes A's own customer, the ERP's upsert of A's id the ERP's", async () => {
    const before = await stateOfB();
    const dealers = await call('PUT', '/v1/customers/by-external-id/erp/CB-1', A, { kind: 'person', givenName: 'Not Bob' });
    expect(dealers.status).toBe(201);
    expect(dealers.body.id).not.toBe(customerB);
    expect(dealers.body.dealerId).toBe(dealerA);
    expect(await stateOfB()).toEqual(before);

    const aBefore = (await call('GET', `/v1/customers/${customerA}`, ADMIN)).body;
    const erps = await call('PUT', '/v1/customers/by-external-id/erp/DA-1', ERP, { kind: 'person', givenName: 'Erp Ann' });
    expect(erps.status).toBe(201);
    expect(erps.body.id).not.toBe(customerA);
    expect((await call('GET', `/v1/customers/${customerA}`, ADMIN)).body).toEqual(aBefore);
    // The ERP's own erp/DA-1 now exists: its pending sale finds the ERP's customer, never A's.
    await eventually(
      "the ERP's pending sale linked to the ERP's customer",
      async () => ((await call('GET', `/v1/transactions?customerId=${erps.body.id}`, ADMIN)).body.items.length === 1 ? true : undefined),
      30_000,
    );
    const ofA = (await call('GET', `/v1/transactions?customerId=${customerA}`, ADMIN)).body.items as { externalId: string }[];
    expect(ofA.map((t) => t.externalId).sort()).toEqual(['INV-A-1', 'INV-B-1']);
  });

  it('scopes Idempotency-Keys by principal kind and dealer: two dealers with the same subject never share a stored answer', async () => {
    const create = (headers: Headers) => call('POST', '/v1/customers', { ...headers, 'idempotency-key': 'same-key' }, { kind: 'person', givenName: 'Same' });
    const a = await create(A);
    const b = await create(B);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).not.toBe(b.body.id);
    expect([a.body.dealerId, b.body.dealerId]).toEqual([dealerA, dealerB]);
    expect((await create(A)).body.id).toBe(a.body.id);
  });
});
