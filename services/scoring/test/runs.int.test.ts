import { randomUUID } from 'node:crypto';
import { CustomerEvents } from '@crm/domain';
import { cloudEventOf, systemRuntime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import type { InjectOptions } from 'light-my-request';
import { admin, as, batchJob, dealerPrincipal, snapshot, startScoring, type ScoringHarness } from './harness';

const DAY = 86_400_000;
const dealer = randomUUID();
const otherDealer = randomUUID();
const customers = Array.from({ length: 40 }, () => randomUUID());
const dealersCustomer = customers[0] as string;
const silent = randomUUID(); // known, never bought

let h: ScoringHarness;
const inject = (options: InjectOptions) => h.service.app.inject(options);

beforeAll(async () => {
  h = await startScoring();
  const definition = CustomerEvents.created;
  await h.bus.publish(
    definition.topic,
    [...customers, silent].map((id) => {
      const event = cloudEventOf('/crm/customers', systemRuntime, definition, { customer: snapshot(id, { dealerId: id === dealersCustomer ? dealer : null }) });
      return { key: event.subject, value: JSON.stringify(event) };
    }),
  );
  await eventually('the customers in the projection', async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from scoring.customer`.execute(h.db);
    return rows[0]?.n === customers.length + 1 ? true : undefined;
  });
  // Customer i buys 1 + i mod 8 times on scattered days of the last 300, in two categories.
  const now = Date.now();
  const items = customers.flatMap((id, i) =>
    Array.from({ length: 1 + (i % 8) }, (_, k) => ({
      sourceSystem: 'erp',
      externalId: `R-${i}-${k}`,
      customer: { id },
      occurredAt: new Date(now - (1 + ((i * 37 + k * 53) % 299)) * DAY).toISOString(),
      type: 'sale',
      amount: { amount: `${20 + ((i * 7 + k * 3) % 50)}.00`, currency: 'CNY' },
      quantity: 1,
      category: k % 3 === 0 ? 'parts' : 'service',
    })),
  );
  expect((await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items } })).json().summary.rejected).toBe(0);
  await h.service.rescoreWorker.drain();
  const calibrationEnd = new Date(now - DAY).toISOString().slice(0, 10);
  expect((await inject({ method: 'POST', url: '/v1/scoring/models/clv/fit', headers: as(admin), payload: { calibrationEnd, timeUnit: 'days' } })).statusCode).toBe(201);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const startRun = () => inject({ method: 'POST', url: '/v1/scoring/runs', headers: as(admin) });
async function finished(id: string) {
  return eventually(`run ${id} to finish`, async () => {
    const run = (await inject({ method: 'GET', url: `/v1/scoring/runs/${id}`, headers: as(admin) })).json();
    return run.status === 'succeeded' || run.status === 'failed' ? run : undefined;
  });
}

describe('scoring runs', () => {
  it('POST → 202 and a run resource that ends succeeded after scores, tiers and segments', async () => {
    const res = await startRun();
    expect(res.statusCode).toBe(202);
    const run = res.json();
    expect(run).toEqual(expect.objectContaining({ status: 'queued', trigger: 'manual:admin-1', customersScored: 0, finishedAt: null }));
    expect(res.headers.location).toBe(`/v1/scoring/runs/${run.id}`);
    const done = await finished(run.id);
    expect(done).toEqual(expect.objectContaining({ status: 'succeeded', step: null, customersScored: customers.length + 1, error: null }));
    expect(Date.parse(done.finishedAt)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
    const list = (await inject({ method: 'GET', url: '/v1/scoring/runs', headers: as(admin) })).json();
    expect(list.items[0].id).toBe(run.id);
  });

  it('one at a time: a POST while a run is active answers 409 with its id; an abandoned run stops blocking', async () => {
    const active = randomUUID();
    await sql`insert into scoring.scoring_run (id, status, trigger, step, created_at, started_at) values (${active}, 'running', 'test', 'scores', now(), now())`.execute(h.db);
    const second = await startRun();
    expect(second.statusCode).toBe(409);
    expect(second.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(second.json()).toEqual(expect.objectContaining({ type: 'urn:crm:problem:conflict', runId: active }));

    // Its process died: no heartbeat for longer than SCORING_INTERRUPTED_AFTER_SECONDS (90 by default).
    await sql`update scoring.scoring_run set heartbeat_at = now() - interval '91 seconds' where id = ${active}`.execute(h.db);
    const third = await startRun();
    expect(third.statusCode).toBe(202);
    await finished(third.json().id);
    const abandoned = (await inject({ method: 'GET', url: `/v1/scoring/runs/${active}`, headers: as(admin) })).json();
    expect(abandoned.status).toBe('interrupted');
    expect(abandoned.error).toMatch(/^interrupted: its process stopped during step "scores"/);
    expect(abandoned.finishedAt).not.toBeNull();
  });

  it('a full run takes over the customers waiting in the rescore queue, and an interrupted run hands its own back', async () => {
    const dead = randomUUID();
    await sql`insert into scoring.scoring_run (id, status, trigger, step, created_at, started_at, heartbeat_at) values (${dead}, 'running', 'test', 'scores', now(), now(), now() - interval '5 minutes')`.execute(h.db);
    // Waiting customers the worker will not claim for an hour: only a run can clear them. One was held by the dead run.
    await sql`insert into scoring.rescore_queue (customer_id, available_at, run_id) values
      (${customers[1]}, now() + interval '1 hour', null), (${customers[2]}, now() + interval '1 hour', ${dead})`.execute(h.db);
    const run = await startRun();
    expect(run.statusCode).toBe(202);
    expect((await finished(run.json().id)).status).toBe('succeeded');
    expect((await inject({ method: 'GET', url: `/v1/scoring/runs/${dead}`, headers: as(admin) })).json().status).toBe('interrupted');
    expect((await sql`select customer_id from scoring.rescore_queue`.execute(h.db)).rows).toEqual([]);
  });

  it('two concurrent POSTs start one run', async () => {
    const answers = await Promise.all([startRun(), startRun()]);
    const codes = answers.map((a) => a.statusCode).sort();
    // The second either finds the first active (409) or, on a fast machine, already finished (202).
    expect(codes[0]).toBe(202);
    expect([202, 409]).toContain(codes[1]);
    for (const a of answers) if (a.statusCode === 202) await finished(a.json().id);
  });

  it('refuses non-admins and unknown runs', async () => {
    expect((await inject({ method: 'POST', url: '/v1/scoring/runs', headers: as(batchJob) })).statusCode).toBe(403);
    expect((await inject({ method: 'POST', url: '/v1/scoring/runs', headers: as({ kind: 'staff', subject: 'm', roles: ['marketing'] }) })).statusCode).toBe(403);
    expect((await inject({ method: 'GET', url: `/v1/scoring/runs/${randomUUID()}`, headers: as(admin) })).statusCode).toBe(404);
    expect((await inject({ method: 'GET', url: '/v1/scoring/runs/not-a-uuid', headers: as(admin) })).statusCode).toBe(400);
    expect((await inject({ method: 'POST', url: '/v1/scoring/runs', headers: as(admin), payload: { surprise: 1 } })).statusCode).toBe(400);
  });
});

describe('GET /v1/customers/{id}/scores', () => {
  it('shows RFM, historical and predicted value, needs and quadrant after a run', async () => {
    const res = await inject({ method: 'GET', url: `/v1/customers/${customers[7]}/scores`, headers: as(batchJob) });
    expect(res.statusCode).toBe(200);
    const scores = res.json();
    expect(scores.rfm.cell).toMatch(/^[1-5]{3}$/);
    expect(scores.historical.orderCount).toBe(8);
    expect(Number(scores.historical.revenue)).toBeGreaterThan(0);
    expect(scores.predicted).toEqual(
      expect.objectContaining({ modelVersion: 1, expectedTransactions: expect.any(Number), pAlive: expect.any(Number), clv: expect.stringMatching(/^\d+(\.\d+)?$/) }),
    );
    expect(scores.predicted.churnRisk).toBeCloseTo(1 - scores.predicted.pAlive, 12);
    expect(scores.needsDiversity).toBeGreaterThan(0);
    expect(['one_to_one', 'loyalty', 'niche', 'mass']).toContain(scores.quadrant);
    expect(scores.scoredAt).not.toBeNull();

    // A newer model does not relabel predictions an older one made: they say which model made them.
    const calibrationEnd = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const refit = await inject({ method: 'POST', url: '/v1/scoring/models/clv/fit', headers: as(admin), payload: { calibrationEnd, timeUnit: 'days' } });
    expect(refit.json().version).toBe(2);
    expect((await inject({ method: 'GET', url: `/v1/customers/${customers[7]}/scores`, headers: as(admin) })).json().predicted.modelVersion).toBe(1);

    const none = (await inject({ method: 'GET', url: `/v1/customers/${silent}/scores`, headers: as(admin) })).json();
    expect(none).toEqual(expect.objectContaining({ rfm: { recency: null, frequency: null, monetary: null, cell: null }, needsDiversity: null, quadrant: null }));
    expect(none.historical).toEqual({ revenue: '0', orderCount: 0, firstPurchaseAt: null, lastPurchaseAt: null, averageOrderValue: null });
  });

  it("lets a dealer see only its own customers' scores; unknown customers are 404", async () => {
    expect((await inject({ method: 'GET', url: `/v1/customers/${dealersCustomer}/scores`, headers: as(dealerPrincipal(dealer)) })).statusCode).toBe(200);
    expect((await inject({ method: 'GET', url: `/v1/customers/${dealersCustomer}/scores`, headers: as(dealerPrincipal(otherDealer)) })).statusCode).toBe(404);
    expect((await inject({ method: 'GET', url: `/v1/customers/${customers[5]}/scores`, headers: as(dealerPrincipal(dealer)) })).statusCode).toBe(404);
    const unknown = await inject({ method: 'GET', url: `/v1/customers/${randomUUID()}/scores`, headers: as(admin) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().type).toBe('urn:crm:problem:not-found');
  });
});
