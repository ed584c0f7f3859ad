import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream';
import { ADMIN_KEY, asAdmin, expectProblem, startGateway, type GatewayHarness } from './harness';

const run = promisify(execFile);
const MAX_BULK = 1024 * 1024;
const MAX_OTHER = 64 * 1024;

let upstream: EchoUpstream;
let h: GatewayHarness;
let address: URL;
let workDir: string;

beforeAll(async () => {
  // The upstream takes more than the gateway lets through: whatever is refused here, the gateway refused
  // (an upstream with a smaller limit could answer its own 413 first while a chunked body still streams in).
  upstream = await startEchoUpstream({ bodyLimit: 4 * MAX_BULK });
  h = await startGateway({ env: { CUSTOMERS_URL: upstream.url, GATEWAY_MAX_BULK_BYTES: String(MAX_BULK), GATEWAY_MAX_BODY_BYTES: String(MAX_OTHER) } });
  address = new URL(await h.gateway.app.listen({ host: '127.0.0.1', port: 0 }));
  workDir = mkdtempSync(path.join(tmpdir(), 'crm-gateway-limits-'));
});
afterAll(async () => {
  await h?.close();
  await upstream?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** A file of NDJSON lines of `bytes` bytes or a little more. */
function ndjsonFile(name: string, bytes: number): string {
  const line = `${JSON.stringify({ externalId: { system: 'erp', id: 'x'.repeat(60) }, customer: { kind: 'person', givenName: 'Li' } })}\n`;
  const file = path.join(workDir, name);
  writeFileSync(file, line.repeat(Math.ceil(bytes / line.length)));
  return file;
}

/** curl posting a file, with its Content-Length or chunked; the status and the body it got. */
async function curlPost(url: string, file: string, { chunked = false, contentType = 'application/x-ndjson' } = {}) {
  const { stdout } = await run('curl', [
    '-sS', '-X', 'POST', '-H', `authorization: Bearer ${ADMIN_KEY}`, '-H', `content-type: ${contentType}`,
    ...(chunked ? ['-H', 'transfer-encoding: chunked'] : []),
    '--data-binary', `@${file}`, '-w', '\n%{http_code} %{content_type}', `${address.origin}${url}`,
  ], { maxBuffer: 16 * 1024 * 1024 });
  const written = stdout.slice(stdout.lastIndexOf('\n') + 1);
  const space = written.indexOf(' ');
  return { status: Number(written.slice(0, space)), contentType: written.slice(space + 1), body: stdout.slice(0, stdout.lastIndexOf('\n')) };
}

const expectTooLarge = (answer: { status: number; contentType?: string; body: string }, max: number) => {
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({ status: 413, contentType: 'application/problem+json; charset=utf-8' });
  expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:crm:problem:payload-too-large', status: 413, detail: expect.stringContaining(`${max} bytes`) });
};

describe('body limits on the way in', () => {
  it('refuses a bulk body whose Content-Length is over the maximum at once, before proxying', async () => {
    const hits = upstream.hits;
    expectTooLarge(await curlPost('/v1/customers/batch', ndjsonFile('over.ndjson', MAX_BULK + 1)), MAX_BULK);
    expect(upstream.hits).toBe(hits);
  });

  it('answers a declared 10 GiB body with 413 without waiting for a byte of it', async () => {
    const hits = upstream.hits;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(address.port), address.hostname, () =>
        socket.write(
          `POST /v1/transactions/batch HTTP/1.1\r\nhost: ${address.host}\r\nauthorization: Bearer ${ADMIN_KEY}\r\n` +
            `content-type: application/x-ndjson\r\ncontent-length: ${10 * 1024 ** 3}\r\n\r\n`,
        ),
      );
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
      // The gateway closes the connection after its answer: the body it declined is never read.
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/connection: close/i);
    expect(answer).toMatch(/urn:crm:problem:payload-too-large/);
    expect(upstream.hits).toBe(hits);
  });

  it('cuts off a chunked bulk body that grows past the maximum and answers 413', async () => {
    expectTooLarge(await curlPost('/v1/customers/batch', ndjsonFile('growing.ndjson', 3 * MAX_BULK), { chunked: true }), MAX_BULK);
  });

  it('streams bulk bodies under the maximum through, chunked or not', async () => {
    const file = ndjsonFile('fits.ndjson', MAX_BULK - 1024);
    for (const chunked of [false, true]) {
      const answer = await curlPost('/v1/customers/batch', file, { chunked });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ bytes: expect.any(Number) });
      expect(JSON.parse(answer.body).bytes).toBeLessThanOrEqual(MAX_BULK);
    }
  });

  it('applies the smaller limit to every other proxied route', async () => {
    const hits = upstream.hits;
    const over = JSON.stringify({ note: 'x'.repeat(MAX_OTHER) });
    expectProblem(
      await h.inject({ method: 'PUT', url: '/v1/customers/by-external-id/erp/1', headers: { ...asAdmin, 'content-type': 'application/json' }, payload: over }),
      413,
      'urn:crm:problem:payload-too-large',
    );
    const file = path.join(workDir, 'over.json');
    writeFileSync(file, over);
    expectTooLarge(await curlPost('/v1/customers', file, { chunked: true, contentType: 'application/json' }), MAX_OTHER);
    expect(upstream.hits).toBeLessThanOrEqual(hits + 1);
    // Under it, the body goes through whole and the upstream answers.
    const under = await h.inject({ method: 'PUT', url: '/v1/customers/by-external-id/erp/1', headers: { ...asAdmin, 'content-type': 'application/json' }, payload: JSON.stringify({ note: 'x'.repeat(MAX_OTHER / 2) }) });
    expect(under.statusCode).toBe(200);
    expect(under.json()).toMatchObject({ method: 'PUT', url: '/v1/customers/by-external-id/erp/1' });
  });
});
