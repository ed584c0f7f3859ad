import { randomUUID } from 'node:crypto';
import { eventually } from '@crm/testkit';
import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { admin, as, batchJob, dealerPrincipal, snapshot, startScoring, type ScoringHarness } from './harness';

let h: ScoringHarness;
beforeAll(async () => {
  h = await startScoring();
  await inject({ method: 'PUT', url: '/v1/exchange-rates/USD', headers: as(admin), payload: { rate: '7.1' } });
});
afterAll(async () => {
  await h?.close();
});
const inject = (options: InjectOptions) => h.service.app.inject(options);
const tx = (externalId: string, overrides: Record<string, unknown> = {}) => ({
  sourceSystem: 'erp',
  externalId,
  customer: { externalId: { system: 'erp', id: 'CUST-1' } },
  occurredAt: '2026-06-01T10:00:00Z',
  type: 'sale',
  amount: { amount: '100.00', currency: 'CNY' },
  quantity: 1,
  category: 'cars',
  ...overrides,
});
const post = (items: unknown[], principal = batchJob) => inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(principal), payload: { items } });
/** A customer the projection knows, by an ERP id of its own. */
async function knownCustomer(erpId: string, dealerId: string | null = null): Promise<{ externalId: { system: string; id: string } }> {
  const id = randomUUID();
  await h.publishCustomerEvent('created', { customer: snapshot(id, { dealerId, externalIds: [{ system: 'erp', id: erpId }] }) });
  await eventually(`${erpId} in the projection`, async () => ((await sql`select 1 from scoring.customer where id = ${id}`.execute(h.db)).rows.length ? true : undefined));
  return { externalId: { system: 'erp', id: erpId } };
}
const customerOf = async (externalId: string) =>
  (await sql<{ customer_id: string | null; amount_base: string }>`select customer_id, amount_base from scoring.transaction where external_id = ${externalId}`.execute(h.db)).rows[0];

describe('ingest', () => {
  it('answers per row: pending for unknown customers, duplicates, and every bad input with its reason', async () => {
    const res = await post([
      tx('T-1'),
      tx('T-2', { amount: { amount: '10.00', currency: 'USD' } }),
      tx('T-3', { amount: { amount: '-5.00', currency: 'CNY' } }),
      tx('T-4', { amount: { amount: '5.00', currency: 'JPY' } }),
      tx('T-5', { occurredAt: '2999-01-01T00:00:00Z' }),
      tx('T-1'),
      tx('T-6', { surprise: true }),
      tx('T-7', { amount: { amount: 5, currency: 'CNY' } }),
    ]);
    expect(res.statusCode).toBe(200);
    const { results, summary } = res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['pending', 'pending', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(results[2].reason).toMatch(/negative/);
    expect(results[3].reason).toMatch(/no exchange rate for JPY/);
    expect(results[4].reason).toMatch(/future/);
    expect(results[5].reason).toMatch(/earlier in this batch/);
    // The reason names the problem, never the input (a key can be anything a sender typed).
    expect(results[6].reason).toBe('(row): unknown field(s)');
    expect(results[7].reason).toMatch(/amount\.amount/);
    expect(summary).toEqual({ received: 8, inserted: 0, duplicates: 0, pending: 2, rejected: 6 });
    expect((await customerOf('T-2'))?.amount_base).toBe('71.0000');

    const again = await post([tx('T-1')]);
    expect(again.json().results[0].status).toBe('duplicate');
    const count = await sql<{ n: string }>`select count(*) as n from scoring.transaction`.execute(h.db);
    expect(count.rows[0]?.n).toBe('2');
  });

  it('links pending transactions when the customer appears, re-keys on merge, unlinks on erasure', async () => {
    const survivor = randomUUID();
    const duplicate = randomUUID();
    await h.publishCustomerEvent('created', { customer: snapshot(duplicate, { externalIds: [{ system: 'erp', id: 'CUST-1' }] }) });
    await eventually('pending transactions to be linked', async () => ((await customerOf('T-1'))?.customer_id === duplicate ? true : undefined));
    expect((await customerOf('T-2'))?.customer_id).toBe(duplicate);

    const direct = await post([tx('T-10', { customer: { id: duplicate } })]);
    expect(direct.json().results[0].status).toBe('inserted');

    await h.publishCustomerEvent('merged', { survivorId: survivor, mergedId: duplicate, survivor: snapshot(survivor, { externalIds: [{ system: 'erp', id: 'CUST-1' }] }) });
    await eventually('transactions to move to the survivor', async () => ((await customerOf('T-10'))?.customer_id === survivor ? true : undefined));
    expect((await customerOf('T-1'))?.customer_id).toBe(survivor);

    await h.publishCustomerEvent('erased', { customerId: survivor });
    await eventually('the link to the person to go', async () => ((await customerOf('T-10'))?.customer_id === null ? true : undefined));
    const projection = await sql`select 1 from scoring.customer where id = ${survivor}`.execute(h.db);
    expect(projection.rows).toHaveLength(0);
  });

  it('links every sale that races the creation of its customer', async () => {
    // Each sale is posted while its customer's created event is in flight: whichever commits first,
    // the other must see it (a sale resolved just before the projection commits must not stay pending).
    const customers = Array.from({ length: 60 }, (_, i) => ({ id: randomUUID(), erpId: `RACE-${i}` }));
    // The projection takes the events one by one while the sales arrive one by one, in the same order.
    const events = Promise.all(customers.map(({ id, erpId }) => h.publishCustomerEvent('created', { customer: snapshot(id, { externalIds: [{ system: 'erp', id: erpId }] }) })));
    for (const [i, { erpId }] of customers.entries()) {
      const sale = await post([tx(`RACE-T-${i}`, { customer: { externalId: { system: 'erp', id: erpId } } })]);
      expect(['inserted', 'pending']).toContain(sale.json().results[0].status);
    }
    await events;
    const unlinked = async () =>
      (await sql<{ n: string }>`select count(*) as n from scoring.transaction where external_id like 'RACE-T-%' and customer_id is null`.execute(h.db)).rows[0]?.n;
    await eventually('every racing sale to be linked', async () => ((await unlinked()) === '0' ? true : undefined), 20_000);
    const linked = await sql<{ external_id: string; customer_id: string }>`select external_id, customer_id from scoring.transaction where external_id like 'RACE-T-%'`.execute(h.db);
    expect(new Map(linked.rows.map((r) => [r.external_id, r.customer_id]))).toEqual(new Map(customers.map((c, i) => [`RACE-T-${i}`, c.id])));
  });

  it('rejects malformed and oversize bodies as a whole', async () => {
    const malformed = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: { ...as(batchJob), 'content-type': 'application/json' }, payload: '{"items": [' });
    expect(malformed.json().type).toBe('urn:crm:problem:malformed-json');
    const tooMany = await post(Array.from({ length: 10_001 }, (_, i) => tx(`X-${i}`)));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors[0].field).toBe('body.items');
    expect((await post([tx('X-1')], { kind: 'staff', subject: 'm', roles: ['marketing'] })).statusCode).toBe(403);
  });
});

describe('NDJSON ingest jobs', () => {
  it('summarises the stream and keeps rejected lines with their numbers', async () => {
    const customer = await knownCustomer('CUST-N');
    const body = [JSON.stringify(tx('N-1', { customer })), '{not json', JSON.stringify(tx('N-2', { type: 'gift' })), '', JSON.stringify(tx('N-3'))].join('\n');
    const res = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob, { 'content-type': 'application/x-ndjson' }), payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = res.body.trim().split('\n').map((line) => JSON.parse(line));
    const { jobId } = lines[0];
    expect(res.headers.location).toBe(`/v1/ingest-jobs/${jobId}`);
    expect(lines[1]).toEqual({ progress: { received: 4, inserted: 1, pending: 1, duplicates: 0, rejected: 2 } });
    expect(lines.at(-1)).toEqual({ jobId, summary: { received: 4, inserted: 1, pending: 1, duplicates: 0, rejected: 2 } });
    const job = (await inject({ method: 'GET', url: `/v1/ingest-jobs/${jobId}`, headers: as(batchJob) })).json();
    expect(job.status).toBe('succeeded');
    expect(job.rejectedLines.map((l: { line: number }) => l.line)).toEqual([2, 3]);
    expect(job.rejectedLines[0].reason).toMatch(/not valid JSON/);
    expect(job.rejectedLines[1].reason).toMatch(/type/);
    expect((await inject({ method: 'GET', url: `/v1/ingest-jobs/${randomUUID()}`, headers: as(batchJob) })).statusCode).toBe(404);
  });

  it('writes chunks side by side and still answers them in order, duplicates across chunks counted once', async () => {
    const customer = await knownCustomer('CUST-M');
    // Three chunks of 5,000 lines; the third repeats 100 sales of the second (written at the same time) and has one bad line.
    const lines = Array.from({ length: 12_500 }, (_, i) => {
      const externalId = i >= 10_000 && i < 10_100 ? `M-${i - 5_000}` : `M-${i}`;
      return JSON.stringify(tx(externalId, { customer, ...(i === 10_999 ? { amount: { amount: '-1.00', currency: 'CNY' } } : {}) }));
    });
    const res = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob, { 'content-type': 'application/x-ndjson' }), payload: lines.join('\n') });
    const answer = res.body.trim().split('\n').map((line) => JSON.parse(line));
    expect(answer.filter((line) => 'progress' in line).map((line) => line.progress.received)).toEqual([5_000, 10_000, 12_500]);
    expect(answer.at(-1).summary).toEqual({ received: 12_500, inserted: 12_399, duplicates: 100, pending: 0, rejected: 1 });
    const stored = await sql<{ n: string }>`select count(*) as n from scoring.transaction where external_id like 'M-%'`.execute(h.db);
    expect(stored.rows[0]?.n).toBe('12399');
    const job = (await inject({ method: 'GET', url: `/v1/ingest-jobs/${answer[0].jobId}`, headers: as(batchJob) })).json();
    expect(job.rejectedLines.map((l: { line: number }) => l.line)).toEqual([11_000]);
  });
});

describe('dealers', () => {
  it('post and read only their own transactions', async () => {
    const mine = randomUUID();
    const other = randomUUID();
    const customer = await knownCustomer('CUST-D', mine);
    const res = await post([tx('D-1', { customer }), tx('D-2', { customer, dealerId: other })], dealerPrincipal(mine));
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(['inserted', 'rejected']);
    await post([tx('D-3', { dealerId: other })], batchJob);
    // Another dealer's customer, or an unknown one, is not the dealer's to post for (dealer-isolation.int.test.ts).
    await post([tx('D-4', { customer: await knownCustomer('CUST-O', other) })], dealerPrincipal(mine));
    const list = (await inject({ method: 'GET', url: '/v1/transactions?limit=200', headers: as(dealerPrincipal(mine)) })).json();
    expect(list.items.map((t: { externalId: string; dealerId: string }) => [t.externalId, t.dealerId])).toEqual([['D-1', mine]]);
  });
});

describe('exchange rates', () => {
  it('are admin-managed decimal strings with ETags', async () => {
    const created = await inject({ method: 'PUT', url: '/v1/exchange-rates/EUR', headers: as(admin), payload: { rate: '7.7' } });
    expect(created.statusCode).toBe(201);
    const stale = await inject({ method: 'PUT', url: '/v1/exchange-rates/EUR', headers: as(admin, { 'if-match': '"9"' }), payload: { rate: '7.8' } });
    expect(stale.statusCode).toBe(412);
    expect((await inject({ method: 'PUT', url: '/v1/exchange-rates/EUR', headers: as(admin), payload: { rate: 7.8 } })).statusCode).toBe(400);
    expect((await inject({ method: 'PUT', url: '/v1/exchange-rates/EUR', headers: as(admin), payload: { rate: '0' } })).statusCode).toBe(400);
    expect((await inject({ method: 'PUT', url: '/v1/exchange-rates/CNY', headers: as(admin), payload: { rate: '2' } })).statusCode).toBe(422);
    expect((await inject({ method: 'PUT', url: '/v1/exchange-rates/EUR', headers: as(batchJob), payload: { rate: '2' } })).statusCode).toBe(403);
    const list = (await inject({ method: 'GET', url: '/v1/exchange-rates', headers: as(batchJob) })).json();
    expect(list).toEqual({ baseCurrency: 'CNY', items: [expect.objectContaining({ currency: 'EUR', rate: '7.7' }), expect.objectContaining({ currency: 'USD', rate: '7.1' })] });
  });
});
