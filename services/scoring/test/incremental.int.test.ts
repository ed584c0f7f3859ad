import { randomUUID } from 'node:crypto';
import { baseConfigSchema, createLogger, createOutbox, loadConfig, systemRuntime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { scoringConfigOf } from '../src/config';
import type { ScoringDb } from '../src/db/tables';
import { createJobHeartbeats } from '../src/runs/job-heartbeats.service';
import { createRescoreWorker } from '../src/runs/rescore-worker.service';
import type { RunContext } from '../src/runs/runs.service';
import { admin, as, batchJob, snapshot, startScoring, type ScoringHarness } from './harness';

/** What the scores, tiers and segments of a customer look like right after an ingest, without a run. */
let h: ScoringHarness;
const inject = (options: InjectOptions) => h.service.app.inject(options);
beforeAll(async () => {
  h = await startScoring();
});
afterAll(async () => {
  await h?.close();
});

it('rescores, re-tiers and re-segments the customers an ingest touched, and follows customer changes', async () => {
  const id = randomUUID();
  await h.publishCustomerEvent('created', { customer: snapshot(id, { city: 'Wuhan', externalIds: [{ system: 'erp', id: 'INC-1' }] }) });
  await eventually('the customer in the projection', async () => ((await sql`select 1 from scoring.customer where id = ${id}`.execute(h.db)).rows.length ? true : undefined));
  const segment = await inject({
    method: 'POST',
    url: '/v1/segments',
    headers: as(admin),
    payload: { name: 'recent car buyers in Wuhan', rule: { all: [{ field: 'city', op: 'eq', value: 'Wuhan' }, { bought: { category: 'cars', withinDays: 30 } }] } },
  });
  expect(segment.statusCode).toBe(201);
  const members = async () => (await inject({ method: 'GET', url: `/v1/segments/${segment.json().id}/members`, headers: as(admin) })).json().items.map((m: { customerId: string }) => m.customerId);
  expect(await members()).toEqual([]);

  const sale = {
    sourceSystem: 'erp',
    externalId: 'INC-SALE-1',
    customer: { id },
    occurredAt: new Date(Date.now() - 86_400_000).toISOString(),
    type: 'sale',
    amount: { amount: '600000.00', currency: 'CNY' },
    quantity: 1,
    category: 'cars',
  };
  const ingested = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items: [sale] } });
  expect(ingested.json().results[0].status).toBe('inserted');
  // The ingest answered without rescoring; the customer waited in the durable queue for the worker.
  await h.service.rescoreWorker.drain();
  expect((await sql`select 1 from scoring.rescore_queue where customer_id = ${id}`.execute(h.db)).rows).toEqual([]);

  // No run was started: the worker brought scores, tier and membership up to date after the ingest.
  const scores = (await inject({ method: 'GET', url: `/v1/customers/${id}/scores`, headers: as(admin) })).json();
  expect(scores).toEqual(expect.objectContaining({ tier: 'VIP' }));
  expect(await members()).toEqual([id]);

  // A customer change that breaks the rule takes the customer out of the segment.
  await h.publishCustomerEvent('updated', { customer: snapshot(id, { city: 'Shanghai', externalIds: [{ system: 'erp', id: 'INC-1' }] }), changedFields: ['addresses'] });
  await eventually('the customer to leave the segment', async () => ((await members()).length === 0 ? true : undefined));
});

it('answers an ingest whose rescoring fails, keeps the customer queued with the reason, and retries until it succeeds', async () => {
  const id = randomUUID();
  await h.publishCustomerEvent('created', { customer: snapshot(id) });
  await eventually('the customer in the projection', async () => ((await sql`select 1 from scoring.customer where id = ${id}`.execute(h.db)).rows.length ? true : undefined));
  // Any new score row is refused for now: rescoring this customer fails.
  await sql`alter table scoring.customer_score add constraint refuse_new_scores check (customer_id <> ${sql.lit(id)}::uuid) not valid`.execute(h.db);
  try {
    const sale = { sourceSystem: 'erp', externalId: `RETRY-${id}`, customer: { id }, occurredAt: new Date(Date.now() - 86_400_000).toISOString(), type: 'sale', amount: { amount: '10.00', currency: 'CNY' }, quantity: 1 };
    const ingested = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items: [sale] } });
    expect(ingested.statusCode).toBe(200);
    expect(ingested.json().results[0].status).toBe('inserted');
    const failed = await eventually('a failed rescore attempt', async () => {
      const { rows } = await sql<{ attempts: number; last_error: string | null }>`select attempts, last_error from scoring.rescore_queue where customer_id = ${id}`.execute(h.db);
      return rows[0]?.last_error ? rows[0] : undefined;
    });
    expect(failed.last_error).toMatch(/refuse_new_scores/);
    expect((await inject({ method: 'GET', url: `/v1/customers/${id}/scores`, headers: as(admin) })).json().historical.orderCount).toBe(0);
  } finally {
    await sql`alter table scoring.customer_score drop constraint refuse_new_scores`.execute(h.db);
  }
  // The backoff ends, the worker tries again and succeeds.
  await eventually('the retried rescore', async () => ((await sql`select 1 from scoring.rescore_queue where customer_id = ${id}`.execute(h.db)).rows.length === 0 ? true : undefined), 30_000);
  expect((await inject({ method: 'GET', url: `/v1/customers/${id}/scores`, headers: as(admin) })).json().historical.orderCount).toBe(1);
});

// Last in this file: it stops the service's own worker and drives one with a tiny incremental limit.
it('starts a full run instead when more customers wait than the incremental limit, and the run clears the queue', async () => {
  await h.service.rescoreWorker.stop();
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  for (const id of ids) await h.publishCustomerEvent('created', { customer: snapshot(id) });
  await eventually('the customers in the projection', async () =>
    (await sql`select 1 from scoring.customer where id = any(${ids}::uuid[])`.execute(h.db)).rows.length === 3 ? true : undefined,
  );
  const items = ids.map((id) => ({ sourceSystem: 'erp', externalId: `BIG-${id}`, customer: { id }, occurredAt: new Date(Date.now() - 86_400_000).toISOString(), type: 'sale', amount: { amount: '10.00', currency: 'CNY' }, quantity: 1 }));
  expect((await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items } })).json().summary.inserted).toBe(3);
  expect((await sql`select customer_id from scoring.rescore_queue`.execute(h.db)).rows).toHaveLength(3);

  const db = h.db.withSchema('scoring') as unknown as ScoringDb;
  const logger = createLogger({ name: 'rescore-test', level: 'silent' });
  const context: RunContext = {
    db,
    outbox: createOutbox('/crm/scoring', systemRuntime),
    runtime: systemRuntime,
    config: scoringConfigOf(loadConfig(baseConfigSchema, { NODE_ENV: 'test' }), {}),
    write: (work) => db.transaction().execute(work),
    heartbeats: createJobHeartbeats({ db, logger, intervalMs: 1_000, interruptedAfterMs: 90_000 }),
  };
  const worker = createRescoreWorker(context, logger, { incrementalLimit: 2 });
  worker.start();
  try {
    await worker.drain();
  } finally {
    await worker.stop();
  }
  const runs = (await sql<{ status: string }>`select status from scoring.scoring_run where trigger = 'ingest'`.execute(h.db)).rows;
  expect(runs).toEqual([{ status: 'succeeded' }]);
  expect((await sql`select customer_id from scoring.rescore_queue`.execute(h.db)).rows).toEqual([]);
  for (const id of ids) expect((await inject({ method: 'GET', url: `/v1/customers/${id}/scores`, headers: as(admin) })).json().historical.orderCount).toBe(1);
});
