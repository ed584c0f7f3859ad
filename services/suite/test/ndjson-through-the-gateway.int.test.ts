import { request as httpRequest } from 'node:http';
import { ADMIN, startSuite, type RunningSuite } from './harness';

/** NDJSON limits and values PostgreSQL refuses, through the gateway as clients meet them (real HTTP between all). */
const MAX_STREAM_BYTES = 256 * 1024;
let suite: RunningSuite;
let port: number;

beforeAll(async () => {
  suite = await startSuite('ndjson-test', { NDJSON_MAX_STREAM_BYTES: String(MAX_STREAM_BYTES) });
  port = suite.port;
});
afterAll(() => suite?.close());

/** A POST whose body is sent in pieces without a Content-Length (chunked), as a batch job streams a file. */
function post(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const upload = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers: { ...ADMIN, 'transfer-encoding': 'chunked', ...headers } });
    upload.on('error', (error) => (upload.writableEnded ? undefined : reject(error)));
    upload.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), text }));
      response.on('error', reject);
    });
    for (let at = 0; at < body.length; at += 16 * 1024) upload.write(body.subarray(at, at + 16 * 1024));
    upload.end();
  });
}
const lines = (text: string) => text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('NDJSON through the gateway', () => {
  it('stops a transactions stream past the limit: the answer ends with the problem, the job says where it stopped', async () => {
    const row = (i: number) => `${JSON.stringify({ sourceSystem: 'erp', externalId: `GW-${String(i).padStart(6, '0')}`, customer: { externalId: { system: 'erp', id: 'GW-C' } }, occurredAt: '2026-06-01T10:00:00Z', type: 'sale', amount: { amount: '1.00', currency: 'CNY' }, quantity: 1 })}\n`;
    const body = Buffer.from(Array.from({ length: 6_000 }, (_, i) => row(i)).join(''));
    expect(body.length).toBeGreaterThan(2 * MAX_STREAM_BYTES);
    const res = await post('/v1/transactions/batch', body, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(200);
    const answer = lines(res.text);
    const stoppedAfter = Math.floor(MAX_STREAM_BYTES / row(0).length);
    expect(answer.at(-1)).toEqual({ jobId: answer[0]!.jobId, error: expect.objectContaining({ type: 'urn:crm:problem:payload-too-large', status: 413, stoppedAfterLine: stoppedAfter }) });
    const job = (await fetch(`http://127.0.0.1:${port}/v1/ingest-jobs/${answer[0]!.jobId as string}`, { headers: ADMIN }).then((r) => r.json())) as Record<string, unknown>;
    expect(job).toEqual(expect.objectContaining({ status: 'failed', received: stoppedAfter, lastLine: stoppedAfter, error: expect.stringMatching(/^stopped after line/) }));
  });

  it('stops a customers stream past the limit the same way', async () => {
    const item = (i: number) => `${JSON.stringify({ externalId: { system: 'gw', id: `GW-${String(i).padStart(6, '0')}` }, customer: { kind: 'person', givenName: 'Gate', familyName: 'Way' } })}\n`;
    const body = Buffer.from(Array.from({ length: 6_000 }, (_, i) => item(i)).join(''));
    const res = await post('/v1/customers/batch', body, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(200);
    const answer = lines(res.text);
    const stoppedAfter = Math.floor(MAX_STREAM_BYTES / item(0).length);
    expect(answer.at(-2)).toEqual({ summary: expect.objectContaining({ received: stoppedAfter, created: stoppedAfter }) });
    expect(answer.at(-1)).toEqual({ error: expect.objectContaining({ status: 413, stoppedAfterLine: stoppedAfter }) });
  });

  it.each(['/v1/customers/batch', '/v1/transactions/batch'])('answers an empty NDJSON body on %s like an empty JSON batch', async (path) => {
    const empty = await post(path, Buffer.alloc(0), { 'content-type': 'application/x-ndjson' });
    const emptyJson = await post(path, Buffer.from('{"items":[]}'), { 'content-type': 'application/json' });
    expect(emptyJson.status).toBe(400);
    expect(empty.status).toBe(400);
    expect(empty.type).toMatch(/application\/problem\+json/);
    expect(JSON.parse(empty.text)).toEqual(expect.objectContaining({ type: (JSON.parse(emptyJson.text) as { type: string }).type, status: 400 }));
  });

  it('refuses values PostgreSQL cannot store with 400 problem+json, not 500', async () => {
    const created = await post('/v1/customers', Buffer.from(JSON.stringify({ kind: 'person', givenName: 'Li\u0000', familyName: 'Wei' })), { 'content-type': 'application/json' });
    expect(created.status).toBe(400);
    expect(JSON.parse(created.text)).toEqual(expect.objectContaining({ type: 'urn:crm:problem:validation', errors: [expect.objectContaining({ field: 'body.givenName' })] }));
    const batch = await post('/v1/transactions/batch', Buffer.from(JSON.stringify({ items: [{ sourceSystem: 'erp', externalId: 'Y0', customer: { externalId: { system: 'erp', id: 'C' } }, occurredAt: '0000-01-01T00:00:00Z', type: 'sale', amount: { amount: '1.00', currency: 'CNY' }, quantity: 1 }] })), { 'content-type': 'application/json' });
    expect(batch.status).toBe(200);
    expect((JSON.parse(batch.text) as { results: { status: string; reason: string }[] }).results).toEqual([expect.objectContaining({ status: 'rejected', reason: expect.stringMatching(/^occurredAt/) })]);
  });
});
