import { Readable } from 'node:stream';
import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { admin, as, batchJob, startScoring, type ScoringHarness } from './harness';

// Small limits, so a test can pass them: lines of exactly LINE bytes (newline included).
const LINE = 256;
const MAX_LINE_BYTES = 1024;
/** 5,300 whole lines and half of the next: the stream is stopped after line 5,300 (one full chunk of 5,000 and 300 more). */
const MAX_STREAM_BYTES = 5_300 * LINE + LINE / 2;

let h: ScoringHarness;
beforeAll(async () => {
  h = await startScoring({ NDJSON_MAX_LINE_BYTES: String(MAX_LINE_BYTES), NDJSON_MAX_STREAM_BYTES: String(MAX_STREAM_BYTES), NDJSON_MAX_LINES: '1000000' });
});
afterAll(async () => {
  await h?.close();
});
const inject = (options: InjectOptions) => h.service.app.inject(options);

/** One transaction as an NDJSON line of exactly LINE bytes (the category pads it). */
function line(externalId: string): string {
  const row = { sourceSystem: 'erp', externalId, customer: { externalId: { system: 'erp', id: 'LIMIT-CUST' } }, occurredAt: '2026-06-01T10:00:00Z', type: 'sale', amount: { amount: '10.00', currency: 'CNY' }, quantity: 1, category: '' };
  const bare = JSON.stringify(row).length + 1;
  return `${JSON.stringify({ ...row, category: 'c'.repeat(LINE - bare) })}\n`;
}
const ndjson = (body: string | Readable, headers: Record<string, string> = {}) =>
  inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob, { 'content-type': 'application/x-ndjson', ...headers }), payload: body });
/** A chunked upload with no Content-Length, delivered in 64 KiB pieces like a socket would. */
function chunked(body: string): Readable {
  const bytes = Buffer.from(body);
  return Readable.from((function* () {
    for (let at = 0; at < bytes.length; at += 65_536) yield bytes.subarray(at, at + 65_536);
  })());
}
const count = async (prefix: string) => Number((await sql<{ n: string }>`select count(*) as n from scoring.transaction where external_id like ${`${prefix}%`}`.execute(h.db)).rows[0]?.n);
const jobCount = async () => Number((await sql<{ n: string }>`select count(*) as n from scoring.ingest_job`.execute(h.db)).rows[0]?.n);
const answerOf = (body: string) => body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('NDJSON limits of the transactions ingest', () => {
  it('reports a line over the line limit as rejected and takes the rest', async () => {
    expect(line('L-1')).toHaveLength(LINE);
    const huge = `${JSON.stringify({ sourceSystem: 'erp', externalId: 'LONG-2', note: 'x'.repeat(5 * MAX_LINE_BYTES) })}\n`;
    const res = await ndjson(chunked(line('LONG-1') + huge + line('LONG-3')), { 'transfer-encoding': 'chunked' });
    expect(res.statusCode).toBe(200);
    const answer = answerOf(res.body);
    expect(answer.at(-1)).toEqual({ jobId: answer[0]!.jobId, summary: { received: 3, inserted: 0, pending: 2, duplicates: 0, rejected: 1 } });
    const job = (await inject({ method: 'GET', url: `/v1/ingest-jobs/${answer[0]!.jobId as string}`, headers: as(batchJob) })).json();
    expect(job).toEqual(expect.objectContaining({ status: 'succeeded', lastLine: 3, rejectedLines: [{ line: 2, reason: `line 2 is longer than ${MAX_LINE_BYTES} bytes` }] }));
    expect(await count('LONG-')).toBe(2);
  });

  it('stops a chunked stream past the byte limit: earlier lines committed and counted, the job says where it stopped', async () => {
    const body = Array.from({ length: 8_000 }, (_, i) => line(`STOP-${String(i + 1).padStart(5, '0')}`)).join('');
    const res = await ndjson(chunked(body), { 'transfer-encoding': 'chunked' });
    expect(res.statusCode).toBe(200);
    const answer = answerOf(res.body);
    const jobId = answer[0]!.jobId as string;
    expect(answer.filter((l) => 'progress' in l).map((l) => (l.progress as { received: number }).received)).toEqual([5_000, 5_300]);
    expect(answer.at(-2)).toEqual({ jobId, summary: { received: 5_300, inserted: 0, pending: 5_300, duplicates: 0, rejected: 0 } });
    expect(answer.at(-1)).toEqual({
      jobId,
      error: expect.objectContaining({ type: 'urn:crm:problem:payload-too-large', status: 413, stoppedAfterLine: 5_300, detail: expect.stringMatching(/^stopped after line 5300: the stream is longer than/) }),
    });
    expect(await count('STOP-')).toBe(5_300);
    const last = await sql<{ external_id: string }>`select max(external_id) as external_id from scoring.transaction where external_id like 'STOP-%'`.execute(h.db);
    expect(last.rows[0]?.external_id).toBe('STOP-05300');
    const job = (await inject({ method: 'GET', url: `/v1/ingest-jobs/${jobId}`, headers: as(batchJob) })).json();
    expect(job).toEqual(expect.objectContaining({ status: 'failed', received: 5_300, pending: 5_300, lastLine: 5_300, error: expect.stringMatching(/^stopped after line 5300/), finishedAt: expect.any(String) }));
    // The process is up and takes the next stream.
    const next = await ndjson(line('AFTER-1'));
    expect(answerOf(next.body).at(-1)).toEqual(expect.objectContaining({ summary: expect.objectContaining({ received: 1, pending: 1 }) }));
  });

  it('answers 413 problem+json to a Content-Length over the limit, before a job or a row is written', async () => {
    const jobs = await jobCount();
    const body = Array.from({ length: 5_301 }, (_, i) => line(`CL-${i}`)).join('');
    const res = await ndjson(body);
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toEqual(expect.objectContaining({ type: 'urn:crm:problem:payload-too-large', status: 413 }));
    // Not kept alive: the unwanted body is not read to reuse the connection.
    expect(res.headers.connection).toBe('close');
    expect(await jobCount()).toBe(jobs);
    expect(await count('CL-')).toBe(0);
  });

  it('answers an empty stream like an empty JSON batch: 400 validation, no job', async () => {
    const jobs = await jobCount();
    const emptyJson = await inject({ method: 'POST', url: '/v1/transactions/batch', headers: as(batchJob), payload: { items: [] } });
    expect(emptyJson.statusCode).toBe(400);
    for (const body of ['', '\n\r\n  \n']) {
      const res = await ndjson(body);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json()).toEqual(expect.objectContaining({ type: emptyJson.json().type, status: 400, errors: [expect.objectContaining({ field: 'body' })] }));
    }
    const chunkedEmpty = await ndjson(chunked(''), { 'transfer-encoding': 'chunked' });
    expect(chunkedEmpty.statusCode).toBe(400);
    expect(await jobCount()).toBe(jobs);
    expect((await inject({ method: 'GET', url: '/v1/exchange-rates', headers: as(admin) })).statusCode).toBe(200);
  });
});
