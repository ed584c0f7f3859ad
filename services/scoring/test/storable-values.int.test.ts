import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { admin, as, batchJob, startScoring, type ScoringHarness } from './harness';

// Values PostgreSQL refuses (NUL, lone surrogates, year 0, years past 9999) are refused per row with the
// field named: never a 500, never a failed batch or ingest job.
let h: ScoringHarness;
beforeAll(async () => {
  h = await startScoring();
});
afterAll(async () => {
  await h?.close();
});
const inject = (options: InjectOptions) => h.service.app.inject(options);
const tx = (externalId: string, overrides: Record<string, unknown> = {}) => ({
  sourceSystem: 'erp',
  externalId,
  customer: { externalId: { system: 'erp', id: 'CUST-V' } },
  occurredAt: '2026-06-01T10:00:00Z',
  type: 'sale',
  amount: { amount: '100.00', currency: 'CNY' },
  quantity: 1,
  category: 'cars',
  ...overrides,
});
const count = async (prefix: string) => Number((await sql<{ n: string }>`select count(*) as n from scoring.transaction where external_id like ${`${prefix}%`}`.execute(h.db)).rows[0]?.n);

/** One bad row of each kind at these positions, with the start of the reason it must get. */
const badRows = (prefix: string): Record<number, [Record<string, unknown>, RegExp]> => ({
  3: [tx(`${prefix}3`, { category: 'ca\u0000rs' }), /^category: must not contain NUL/],
  800: [tx(`${prefix}800`, { product: 'half \ud800 pair' }), /^product: .*surrogates/],
  1_600: [tx(`${prefix}1600`, { occurredAt: '0000-06-01T10:00:00Z' }), /^occurredAt: must be an ISO 8601 date-time/],
  2_400: [tx(`${prefix}2400`, { occurredAt: '10000-01-01T00:00:00Z' }), /^occurredAt: /],
  3_200: [tx(`${prefix}3200`, { occurredAt: '9999-12-31T23:00:00-05:00' }), /^occurredAt: /],
  4_000: [tx(`${prefix}4000\u0000`), /^externalId: must not contain NUL/],
  4_500: [tx(`${prefix}4500`, { customer: { externalId: { system: 'erp', id: 'C\udfff' } } }), /^customer/],
  4_999: [tx(`${prefix}4999`, { channel: '\u0000' }), /^channel: /],
});

describe('values PostgreSQL refuses, in transactions', () => {
  it('refuses each bad row of a JSON batch of 5,000 with its reason and takes all the others', async () => {
    const bad = badRows('J-');
    const items = Array.from({ length: 5_000 }, (_, i) => bad[i]?.[0] ?? tx(`J-${i}`));
    const res = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items } });
    expect(res.statusCode).toBe(200);
    const { results, summary } = res.json<{ results: { index: number; status: string; reason?: string }[]; summary: Record<string, number> }>();
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected.map((r) => r.index)).toEqual(Object.keys(bad).map(Number));
    for (const row of rejected) expect(row.reason).toMatch(bad[row.index]![1]);
    expect(summary).toEqual({ received: 5_000, inserted: 0, pending: 4_992, duplicates: 0, rejected: 8 });
    expect(await count('J-')).toBe(4_992);
  }, 120_000);

  it('does the same in an NDJSON ingest, and the job keeps every rejected line (its reasons made storable)', async () => {
    const bad = badRows('N-');
    const lines = Array.from({ length: 5_000 }, (_, i) => JSON.stringify(bad[i]?.[0] ?? tx(`N-${i}`)));
    lines.push('{"raw NUL":"\u0000"}', JSON.stringify({ ...tx('N-extra'), ['\u0000key\ud800']: 1 }));
    const res = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob, { 'content-type': 'application/x-ndjson' }), payload: lines.join('\n') });
    expect(res.statusCode).toBe(200);
    const answer = res.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(answer.at(-1)).toEqual({ jobId: answer[0]!.jobId, summary: { received: 5_002, inserted: 0, pending: 4_992, duplicates: 0, rejected: 10 } });
    const job = (await inject({ method: 'GET', url: `/v1/ingest-jobs/${answer[0]!.jobId as string}`, headers: as(batchJob) })).json<{ status: string; lastLine: number; rejectedLines: { line: number; reason: string }[] }>();
    expect(job.status).toBe('succeeded');
    expect(job.lastLine).toBe(5_002);
    expect(job.rejectedLines.map((l) => l.line)).toEqual([...Object.keys(bad).map((i) => Number(i) + 1), 5_001, 5_002]);
    for (const line of job.rejectedLines.slice(0, 8)) expect(line.reason).toMatch(bad[line.line - 1]![1]);
    expect(job.rejectedLines[8]!.reason).toMatch(/not valid JSON/);
    expect(job.rejectedLines[9]!.reason).toMatch(/unknown field/) // the key itself is never echoed (rejection reasons are kept);
    expect(job.rejectedLines.every((l) => !l.reason.includes('\u0000'))).toBe(true);
    expect(await count('N-')).toBe(4_992);
  }, 120_000);

  it('answers single writes and queries with such values 400 problem+json, not 500', async () => {
    const customerId = randomUUID();
    const cases: [InjectOptions, string][] = [
      [{ method: 'PUT', url: `/v1/customers/${customerId}/tier-override`, headers: as(admin), payload: { tier: 'Gold', reason: 'vip\u0000' } }, 'body.reason'],
      [{ method: 'PUT', url: `/v1/customers/${customerId}/tier-override`, headers: as(admin), payload: { tier: 'Gold', reason: 'vip', expiresAt: '0000-01-01T00:00:00Z' } }, 'body.expiresAt'],
      [{ method: 'POST', url: '/v1/segments', headers: as(admin), payload: { name: 'seg\u0000', rule: { field: 'region', op: 'eq', value: 'East' } } }, 'body.name'],
      [{ method: 'POST', url: '/v1/segments', headers: as(admin), payload: { name: 'seg', rule: { field: 'region', op: 'eq', value: 'East\ud800' } } }, 'body.rule.value'],
      [{ method: 'GET', url: '/v1/reports/sales?groupBy=month&from=0000-01-01&to=2026-01-01', headers: as(admin) }, 'query.from'],
      [{ method: 'POST', url: '/v1/scoring/models/clv/fit', headers: as(admin), payload: { calibrationEnd: '0000-12-31', timeUnit: 'weeks' } }, 'body.calibrationEnd'],
    ];
    for (const [options, field] of cases) {
      const res = await inject(options);
      expect([options.url, res.statusCode]).toEqual([options.url, 400]);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toContain(field);
    }
    const preview = await inject({ method: 'POST', url: '/v1/segments/preview', headers: as(admin), payload: { rule: { field: 'birthDate', op: 'lt', value: '0000-01-01' } } });
    expect(preview.statusCode).toBe(422);
    expect(preview.json()).toEqual(expect.objectContaining({ type: 'urn:crm:problem:invalid-rule' }));
    // A rule nested 50,000 levels deep (written by hand: JSON.stringify itself would overflow) is an answer, not a crash.
    const deep = `{"rule":${'{"not":'.repeat(50_000)}{"field":"region","op":"eq","value":"East\\u0000"}${'}'.repeat(50_000)}}`;
    const nested = await inject({ method: 'POST', url: '/v1/segments/preview', headers: as(admin, { 'content-type': 'application/json' }), payload: deep });
    expect([nested.statusCode >= 400, nested.statusCode < 500]).toEqual([true, true]);
    const forged = Buffer.from(JSON.stringify({ at: '0000-01-01T00:00:00Z', id: randomUUID() })).toString('base64url');
    const page = await inject({ method: 'GET', url: `/v1/transactions?cursor=${forged}`, headers: as(admin) });
    expect(page.statusCode).toBe(400);
    expect(page.json()).toEqual(expect.objectContaining({ type: 'urn:crm:problem:invalid-cursor' }));
    expect(Number((await sql<{ n: string }>`select count(*) as n from scoring.segment`.execute(h.db)).rows[0]?.n)).toBe(0);
  });
});
