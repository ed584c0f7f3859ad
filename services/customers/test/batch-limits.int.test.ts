import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { InjectOptions } from 'light-my-request';
import { sql } from 'kysely';
import { signPrincipal } from '@crm/platform';
import { as, erp, SECRET, startCustomers, type Harness } from './harness';

// Small limits, so a test can pass them: lines of exactly LINE bytes (newline included).
const LINE = 200;
const MAX_LINE_BYTES = 1024;
/** 1,300 whole lines and half of the next: the stream is stopped after line 1,300 (one full chunk of 1,000 and 300 more). */
const MAX_STREAM_BYTES = 1_300 * LINE + LINE / 2;
/** Short lines reach this before the byte limit. */
const MAX_LINES = 2_000;

let h: Harness;
beforeAll(async () => {
  h = await startCustomers({ NDJSON_MAX_LINE_BYTES: String(MAX_LINE_BYTES), NDJSON_MAX_STREAM_BYTES: String(MAX_STREAM_BYTES), NDJSON_MAX_LINES: String(MAX_LINES) });
});
afterAll(async () => {
  await h?.close();
});
const inject = (options: InjectOptions) => h.service.app.inject(options);

/** One batch item as an NDJSON line of exactly LINE bytes (the family name pads it). */
function line(id: string): string {
  const item = { externalId: { system: 'limits', id }, customer: { kind: 'person', givenName: 'Line', familyName: '' } };
  const bare = JSON.stringify(item).length + 1;
  return `${JSON.stringify({ ...item, customer: { ...item.customer, familyName: 'f'.repeat(LINE - bare) } })}\n`;
}
const ndjson = (body: string | Readable, headers: Record<string, string> = {}) =>
  inject({ method: 'POST', url: '/v1/customers/batch', headers: as(erp, { 'content-type': 'application/x-ndjson', ...headers }), payload: body });
/** A chunked upload with no Content-Length, delivered in 64 KiB pieces like a socket would. */
function chunked(body: string): Readable {
  const bytes = Buffer.from(body);
  return Readable.from((function* () {
    for (let at = 0; at < bytes.length; at += 65_536) yield bytes.subarray(at, at + 65_536);
  })());
}
const count = async (prefix: string) =>
  Number((await sql<{ n: string }>`select count(*) as n from customers.external_id where system = 'limits' and external_id like ${`${prefix}%`}`.execute(h.db)).rows[0]?.n);
const countAll = async () => Number((await sql<{ n: string }>`select count(*) as n from customers.customer`.execute(h.db)).rows[0]?.n);
const answerOf = (body: string) => body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('NDJSON limits of the customers batch', () => {
  it('answers a line over the line limit with its own error and writes the rest', async () => {
    expect(line('L-1')).toHaveLength(LINE);
    const huge = `${JSON.stringify({ externalId: { system: 'limits', id: 'LONG-2' }, customer: { kind: 'person', givenName: 'x'.repeat(5 * MAX_LINE_BYTES) } })}\n`;
    const res = await ndjson(chunked(line('LONG-1') + huge + line('LONG-3')), { 'transfer-encoding': 'chunked' });
    expect(res.statusCode).toBe(200);
    const answer = answerOf(res.body);
    expect(answer.map((r) => [r.index, r.status])).toEqual([[0, 'created'], [1, 'error'], [2, 'created'], [undefined, undefined]]);
    expect(answer[1]!.error).toEqual({ type: 'urn:crm:problem:payload-too-large', title: expect.any(String), status: 413, detail: `line 2 is longer than ${MAX_LINE_BYTES} bytes` });
    expect(answer.at(-1)).toEqual({ summary: { received: 3, created: 2, updated: 0, unchanged: 0, errors: 1 } });
    expect(await count('LONG-')).toBe(2);
  });

  it('stops a chunked stream past the byte limit: earlier lines written and counted, the last line says where it stopped', async () => {
    const body = Array.from({ length: 3_000 }, (_, i) => line(`STOP-${String(i + 1).padStart(5, '0')}`)).join('');
    const res = await ndjson(chunked(body), { 'transfer-encoding': 'chunked' });
    expect(res.statusCode).toBe(200);
    const answer = answerOf(res.body);
    expect(answer.filter((r) => r.status === 'created')).toHaveLength(1_300);
    expect(answer.at(-2)).toEqual({ summary: { received: 1_300, created: 1_300, updated: 0, unchanged: 0, errors: 0 } });
    expect(answer.at(-1)).toEqual({
      error: expect.objectContaining({ type: 'urn:crm:problem:payload-too-large', status: 413, stoppedAfterLine: 1_300, detail: expect.stringMatching(/^stopped after line 1300: the stream is longer than/) }),
    });
    expect(await count('STOP-')).toBe(1_300);
    const last = await sql<{ id: string }>`select max(external_id) as id from customers.external_id where external_id like 'STOP-%'`.execute(h.db);
    expect(last.rows[0]?.id).toBe('STOP-01300');
    // The process is up and takes the next stream.
    expect(answerOf((await ndjson(line('AFTER-1'))).body).at(-1)).toEqual({ summary: expect.objectContaining({ received: 1, created: 1 }) });
  });

  it('over a real connection, stops reading an endless upload: the client gets the whole answer, then the connection ends', async () => {
    await h.service.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.service.app.server.address() as AddressInfo;
    const piece = Buffer.from(Array.from({ length: 300 }, (_, i) => line(`ENDLESS-${String(i).padStart(5, '0')}`)).join(''));
    let written = 0;
    const outcome = await new Promise<{ body: string; written: number; closedAfterMs: number }>((resolve, reject) => {
      const upload = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/customers/batch', headers: { ...signPrincipal(erp, SECRET, { method: 'POST', url: '/v1/customers/batch' }), 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' } });
      let body = '';
      let answeredAt = 0;
      upload.on('error', () => undefined); // the server ends the connection while the upload still sends: expected
      upload.on('response', (response) => {
        response.setEncoding('utf8');
        response.on('data', (text: string) => (body += text));
        response.on('end', () => (answeredAt = Date.now()));
      });
      upload.on('close', () => (answeredAt ? resolve({ body, written, closedAfterMs: Date.now() - answeredAt }) : reject(new Error(`closed before the answer ended: ${body}`))));
      // Sends without end (up to 1 GiB) until the server stops taking it.
      const pump = () => {
        while (!upload.destroyed && written < 1024 * 1024 * 1024) {
          written += piece.length;
          if (!upload.write(piece)) return void upload.once('drain', pump);
        }
      };
      pump();
    });
    const answer = answerOf(outcome.body);
    expect(answer.at(-2)).toEqual({ summary: expect.objectContaining({ received: 1_300, created: 300 }) }); // the same 300 ids, over and over
    expect(answer.at(-1)).toEqual({ error: expect.objectContaining({ status: 413, stoppedAfterLine: 1_300 }) });
    expect(outcome.closedAfterMs).toBeLessThan(5_000);
    // What the client got into the socket before the server stopped reading: socket buffers, not the gigabyte.
    expect(outcome.written).toBeLessThan(64 * 1024 * 1024);
    expect(await count('ENDLESS-')).toBe(300);
  });

  it('stops a stream past the line limit the same way', async () => {
    const short = (i: number) => `${JSON.stringify({ externalId: { system: 'limits', id: `LINES-${String(i + 1).padStart(5, '0')}` }, customer: { kind: 'person', givenName: 'L' } })}\n`;
    const body = Array.from({ length: 2_500 }, (_, i) => short(i)).join('');
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_STREAM_BYTES);
    const answer = answerOf((await ndjson(chunked(body), { 'transfer-encoding': 'chunked' })).body);
    expect(answer.at(-2)).toEqual({ summary: { received: MAX_LINES, created: MAX_LINES, updated: 0, unchanged: 0, errors: 0 } });
    expect(answer.at(-1)).toEqual({ error: expect.objectContaining({ status: 413, stoppedAfterLine: MAX_LINES, detail: expect.stringMatching(/^stopped after line 2000: the stream has more than 2000 lines/) }) });
    expect(await count('LINES-')).toBe(MAX_LINES);
  });

  it('answers 413 problem+json to a Content-Length over the limit and writes nothing', async () => {
    const before = await countAll();
    const res = await ndjson(Array.from({ length: 1_301 }, (_, i) => line(`CL-${i}`)).join(''));
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toEqual(expect.objectContaining({ type: 'urn:crm:problem:payload-too-large', status: 413 }));
    // Not kept alive: the unwanted body is not read to reuse the connection.
    expect(res.headers.connection).toBe('close');
    expect(await countAll()).toBe(before);
  });

  it('answers an empty stream like an empty JSON batch: 400 validation', async () => {
    const emptyJson = await inject({ method: 'POST', url: '/v1/customers/batch', headers: as(erp), payload: { items: [] } });
    expect(emptyJson.statusCode).toBe(400);
    for (const body of ['', '\n\r\n  \n']) {
      const res = await ndjson(body);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json()).toEqual(expect.objectContaining({ type: emptyJson.json().type, status: 400, errors: [expect.objectContaining({ field: 'body' })] }));
    }
    expect((await ndjson(chunked(''), { 'transfer-encoding': 'chunked' })).statusCode).toBe(400);
  });
});
