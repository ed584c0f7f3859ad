import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CustomerEvents } from '@crm/domain';
import { cloudEventOf, systemRuntime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import type { InjectOptions } from 'light-my-request';
import { admin, as, batchJob, snapshot, startScoring, type ScoringHarness } from './harness';

// CDNOW sample (README.md next to it): master id, sample id, date YYYYMMDD, number of CDs, dollar value.
const CDNOW = path.resolve(__dirname, 'fixtures/cdnow/CDNOW_sample.txt');
const USD_RATE = 7.1;

interface Line {
  sampleId: string;
  date: string;
  cds: number;
  dollars: string;
}
const lines: Line[] = readFileSync(CDNOW, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const [, sampleId, date, cds, dollars] = line.trim().split(/\s+/);
    if (!sampleId || !date || !cds || dollars === undefined) throw new Error(`unexpected line: ${line}`);
    return { sampleId, date: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`, cds: Number(cds), dollars };
  });
const sampleIds = [...new Set(lines.map((l) => l.sampleId))];

let h: ScoringHarness;
const inject = (options: InjectOptions) => h.service.app.inject(options);
const round = (value: number, decimals: number) => Number(value.toFixed(decimals));

/** Like h.publishCustomerEvent('created', …), but many customers per produce call. */
async function publishCustomers(ids: { id: string; sampleId: string }[]): Promise<void> {
  const definition = CustomerEvents.created;
  for (let start = 0; start < ids.length; start += 500) {
    const messages = ids.slice(start, start + 500).map(({ id, sampleId }) => {
      const event = cloudEventOf('/crm/customers', systemRuntime, definition, { customer: snapshot(id, { externalIds: [{ system: 'cdnow', id: sampleId }] }) });
      return { key: event.subject, value: JSON.stringify(event) };
    });
    await h.bus.publish(definition.topic, messages);
  }
}

beforeAll(async () => {
  h = await startScoring();
  expect((await inject({ method: 'PUT', url: '/v1/exchange-rates/USD', headers: as(admin), payload: { rate: String(USD_RATE) } })).statusCode).toBe(201);
  await publishCustomers(sampleIds.map((sampleId) => ({ id: randomUUID(), sampleId })));
  await eventually(
    'all CDNOW customers in the projection',
    async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from scoring.customer`.execute(h.db);
      return rows[0]?.n === sampleIds.length ? true : undefined;
    },
    60_000,
  );
  const items = lines.map((line, i) => ({
    sourceSystem: 'cdnow',
    externalId: `cdnow-${i + 1}`,
    customer: { externalId: { system: 'cdnow', id: line.sampleId } },
    occurredAt: `${line.date}T12:00:00Z`,
    type: 'sale',
    amount: { amount: line.dollars, currency: 'USD' },
    // A few rows carry 0 CDs (and $0): quantity must be positive.
    quantity: Math.max(line.cds, 1),
  }));
  const res = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items } });
  expect(res.statusCode).toBe(200);
  expect(res.json().summary).toEqual({ received: 6919, inserted: 6919, duplicates: 0, pending: 0, rejected: 0 });
  await h.service.rescoreWorker.drain();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('CLV model fit on CDNOW through the API', () => {
  it('reproduces Fader, Hardie & Lee (2005): r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL −9582.4', async () => {
    const res = await inject({ method: 'POST', url: '/v1/scoring/models/clv/fit', headers: as(admin), payload: { calibrationEnd: '1997-09-30', timeUnit: 'weeks' } });
    expect(res.statusCode).toBe(201);
    const model = res.json();
    expect(model).toEqual(expect.objectContaining({ version: 1, active: true, calibrationEnd: '1997-09-30', timeUnit: 'weeks', sampleSize: 2357 }));
    const { r, alpha, a, b } = model.bgNbd;
    expect([round(r, 3), round(alpha, 3), round(a, 3), round(b, 3)]).toEqual([0.243, 4.414, 0.793, 2.426]);
    expect(round(model.logLikelihood, 1)).toBe(-9582.4);
    // Gamma-Gamma (Fader & Hardie): p = 6.25, q = 3.74, γ = 15.44 in dollars; amounts are in the base currency here.
    expect([round(model.gammaGamma.p, 2), round(model.gammaGamma.q, 2), round(model.gammaGamma.gamma / USD_RATE, 2)]).toEqual([6.25, 3.74, 15.44]);
    console.log(`CDNOW via API: r=${r} alpha=${alpha} a=${a} b=${b} LL=${model.logLikelihood} n=${model.sampleSize} gg=${JSON.stringify(model.gammaGamma)}`);

    const stored = await sql<{ version: number; active: boolean; sample_size: number }>`select version, active, sample_size from scoring.clv_model`.execute(h.db);
    expect(stored.rows).toEqual([{ version: 1, active: true, sample_size: 2357 }]);
    const active = (await inject({ method: 'GET', url: '/v1/scoring/models/clv/active', headers: as(batchJob) })).json();
    expect(active.id).toBe(model.id);
  });

  it('a second version deactivates the first; the list is newest first', async () => {
    const second = await inject({ method: 'POST', url: '/v1/scoring/models/clv/fit', headers: as(admin), payload: { calibrationEnd: '1997-12-31', timeUnit: 'days' } });
    expect(second.statusCode).toBe(201);
    expect(second.json()).toEqual(expect.objectContaining({ version: 2, active: true, timeUnit: 'days' }));
    const list = (await inject({ method: 'GET', url: '/v1/scoring/models/clv', headers: as(admin) })).json();
    expect(list.items.map((m: { version: number; active: boolean }) => [m.version, m.active])).toEqual([
      [2, true],
      [1, false],
    ]);
    const inactive = await inject({ method: 'POST', url: '/v1/scoring/models/clv/fit', headers: as(admin), payload: { calibrationEnd: '1997-09-30', timeUnit: 'weeks', activate: false } });
    expect(inactive.json()).toEqual(expect.objectContaining({ version: 3, active: false }));
    expect((await inject({ method: 'GET', url: '/v1/scoring/models/clv/active', headers: as(admin) })).json().version).toBe(2);
  });

  it('refuses bad inputs with problem+json', async () => {
    const fit = (payload: unknown, principal = admin) => inject({ method: 'POST', url: '/v1/scoring/models/clv/fit', headers: as(principal), payload: payload as object });
    const future = await fit({ calibrationEnd: '2999-01-01', timeUnit: 'weeks' });
    expect(future.statusCode).toBe(422);
    expect(future.json().detail).toMatch(/future/);
    const early = await fit({ calibrationEnd: '1990-01-01', timeUnit: 'weeks' });
    expect(early.statusCode).toBe(422);
    expect(early.json().detail).toMatch(/no sale/);
    expect((await fit({ calibrationEnd: '1997-02-30', timeUnit: 'weeks' })).statusCode).toBe(400);
    expect((await fit({ calibrationEnd: '1997-09-30', timeUnit: 'months' })).statusCode).toBe(400);
    expect((await fit({ calibrationEnd: '1997-09-30', timeUnit: 'weeks', surprise: 1 })).statusCode).toBe(400);
    expect((await fit({ calibrationEnd: '1997-09-30', timeUnit: 'weeks' }, batchJob)).statusCode).toBe(403);
  });
});
