import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { customersService } from '@crm/customers';
import { gatewayService } from '@crm/gateway';
import { scoringService } from '@crm/scoring';
import { baseConfigSchema, createLogger, loadConfig, openDatabase, runServices, signPrincipal } from '@crm/platform';
import { createTestDatabase, freePort, testKafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@crm/testkit';
import { sql, type Kysely } from 'kysely';

/**
 * The gateway's edge on the real suite (gateway, customers, scoring over real HTTP, PostgreSQL and
 * Kafka): uploads as batch jobs send them with curl, principals bound to one request, checked
 * directly against a service.
 */
const INTERNAL_SECRET = 'suite-edge-internal-secret-0123456789abcdef';
const ADMIN_KEY = 'crm-dev-admin-key';
const ADMIN = { authorization: `Bearer ${ADMIN_KEY}` };
const run = promisify(execFile);

let database: TestDatabase;
let db: Kysely<unknown>;
let suite: Awaited<ReturnType<typeof runServices>>;
let api: string;
let customersPort: number;
let scoringPort: number;
let workDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
  workDir = mkdtempSync(path.join(tmpdir(), 'crm-edge-'));
  const port = await freePort();
  [customersPort, scoringPort] = [await freePort(), await freePort()];
  const env = {
    PORT: String(port),
    CUSTOMERS_PORT: String(customersPort),
    CUSTOMERS_URL: `http://127.0.0.1:${customersPort}`,
    SCORING_PORT: String(scoringPort),
    SCORING_URL: `http://127.0.0.1:${scoringPort}`,
  };
  const config = loadConfig(baseConfigSchema, {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    CRM_INTERNAL_SECRET: INTERNAL_SECRET,
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
    // These tests are about uploads, not load shedding (runtime-limits tests that): on a loaded 2-core CI
    // machine a 6 MiB upload can lag the shared event loop past the default and be shed with a 503.
    MAX_EVENT_LOOP_DELAY_MS: '0',
  });
  Object.assign(process.env, env, { CRM_INTERNAL_SECRET: INTERNAL_SECRET });
  suite = await runServices([customersService, scoringService, gatewayService], {
    config,
    logger: createLogger({ name: 'suite-edge-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    env,
  });
  api = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await suite?.close();
  await db?.destroy();
  await database?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on its own connection, exactly as written: the request target goes on the wire untouched (absolute-form, escapes). */
function rawRequest(port: number, method: string, target: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, method, path: target, agent: false, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

const expectUnauthenticated = (answer: Answer) => {
  expect({ status: answer.status, type: answer.headers['content-type'] }).toEqual({ status: 401, type: 'application/problem+json; charset=utf-8' });
  expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:crm:problem:unauthenticated', status: 401 });
};

/** `curl --data-binary @file` as a batch job runs it; curl sends `Expect: 100-continue` for a body this size. */
async function curlUpload(url: string, file: string): Promise<{ status: number; verbose: string; lines: Record<string, unknown>[] }> {
  const output = path.join(workDir, `${path.basename(file)}.out`);
  const { stdout, stderr } = await run(
    'curl',
    ['-sS', '-v', '-X', 'POST', '-H', `authorization: Bearer ${ADMIN_KEY}`, '-H', 'content-type: application/x-ndjson', '--data-binary', `@${file}`, '-o', output, '-w', '%{http_code}', url],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const lines = readFileSync(output, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status: Number(stdout.trim()), verbose: stderr, lines };
}

/** Writes NDJSON lines until the file holds at least `bytes`; returns how many lines it wrote. */
function writeNdjson(file: string, bytes: number, line: (index: number) => object): number {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const text = `${JSON.stringify(line(parts.length))}\n`;
    parts.push(text);
    size += Buffer.byteLength(text);
  }
  writeFileSync(file, parts.join(''));
  return parts.length;
}

const SIX_MIB = 6 * 1024 * 1024;
const customerRef = (i: number) => ({ system: 'edge-upload', id: `C-${String(i).padStart(6, '0')}` });

describe('large NDJSON uploads with plain curl through the gateway (Expect: 100-continue)', () => {
  it('upserts every customer of a 6 MiB file', async () => {
    const file = path.join(workDir, 'customers.ndjson');
    const count = writeNdjson(file, SIX_MIB, (i) => ({
      externalId: customerRef(i),
      customer: {
        kind: 'person',
        givenName: `Given ${i}`,
        familyName: `Family ${i}`,
        emails: [`edge.upload.${i}@example.com`],
        addresses: [{ kind: 'home', line1: `${i} Nanjing Road, Building ${i % 40}, Floor ${i % 30}, Room ${i % 900}`, line2: 'Huangpu District, near the river', city: 'Shanghai', postalCode: '200001', country: 'CN' }],
      },
    }));
    expect(statSync(file).size).toBeGreaterThanOrEqual(SIX_MIB);

    const upload = await curlUpload(`${api}/v1/customers/batch`, file);
    expect(upload.verbose).toMatch(/> Expect: 100-continue/i);
    expect(upload.verbose).toMatch(/< HTTP\/1\.1 100 Continue/i);
    expect(upload.status).toBe(200);
    expect(upload.lines.at(-1)).toEqual({ summary: { received: count, created: count, updated: 0, unchanged: 0, errors: 0 } });
    const stored = await sql<{ n: string }>`select count(*) as n from customers.external_id where system = 'edge-upload'`.execute(db);
    expect(Number(stored.rows[0]?.n)).toBe(count);
  }, 180_000);

  it('ingests every transaction of a 6 MiB file', async () => {
    const file = path.join(workDir, 'transactions.ndjson');
    const count = writeNdjson(file, SIX_MIB, (i) => ({
      sourceSystem: 'edge-upload',
      externalId: `INV-${String(i).padStart(7, '0')}`,
      customer: { externalId: customerRef(i % 500) },
      occurredAt: '2026-06-01T10:00:00Z',
      type: 'sale',
      amount: { amount: `${(i % 900) + 10}.50`, currency: 'CNY' },
      quantity: 1,
      category: 'parts',
      product: `part-${i % 97}`,
      channel: 'dealer',
    }));

    const upload = await curlUpload(`${api}/v1/transactions/batch`, file);
    expect(upload.verbose).toMatch(/> Expect: 100-continue/i);
    expect(upload.status).toBe(200);
    const last = upload.lines.at(-1) as { jobId: string; summary: { received: number; inserted: number; pending: number; duplicates: number; rejected: number } };
    expect(last.jobId).toEqual(upload.lines[0]?.jobId);
    // Whether a row is linked yet depends on how far scoring's projection has read crm.customers; every row is kept either way.
    expect(last.summary).toMatchObject({ received: count, duplicates: 0, rejected: 0 });
    expect(last.summary.inserted + last.summary.pending).toBe(count);
    const stored = await sql<{ n: string }>`select count(*) as n from scoring.transaction where source_system = 'edge-upload'`.execute(db);
    expect(Number(stored.rows[0]?.n)).toBe(count);
  }, 180_000);
});

describe('principals bound to one request, checked directly against a service', () => {
  const admin: Parameters<typeof signPrincipal>[0] = { kind: 'staff', subject: 'edge-test-admin', roles: ['admin'] };

  it('refuses an absolute-form or %-encoded target without a principal (401 problem+json)', async () => {
    for (const target of [
      `http://127.0.0.1:${customersPort}/v1/customers`,
      `http://evil.example/v1/customers`,
      '/%761/customers',
      '/v1/%63ustomers',
      '//v1/customers',
      `http://127.0.0.1:${customersPort}/%761/dealers`,
    ]) {
      expectUnauthenticated(await rawRequest(customersPort, 'GET', target));
    }
    for (const target of [`http://127.0.0.1:${scoringPort}/v1/transactions`, '/%761/transactions', '/v1/%74iers']) {
      expectUnauthenticated(await rawRequest(scoringPort, 'GET', target));
    }
    // Unmatched routes too: a caller learns nothing before proving who it is.
    expectUnauthenticated(await rawRequest(customersPort, 'GET', '/no-such-route'));
  });

  it('keeps health, metrics and the OpenAPI document public', async () => {
    for (const target of ['/health/live', '/health/ready', '/metrics', '/openapi.json', `http://127.0.0.1:${customersPort}/health/live`]) {
      expect((await rawRequest(customersPort, 'GET', target)).status).toBe(200);
    }
  });

  it('refuses a captured principal replayed on another method or path', async () => {
    const captured = signPrincipal(admin, INTERNAL_SECRET, { method: 'GET', url: '/v1/customers' });
    // The request it was signed for, in every spelling the router treats as that path.
    for (const target of ['/v1/customers', '/v1/customers?limit=1', '/%761/customers', `http://127.0.0.1:${customersPort}/v1/customers`]) {
      expect((await rawRequest(customersPort, 'GET', target, captured)).status).toBe(200);
    }
    for (const [method, target] of [
      ['DELETE', '/v1/customers'],
      ['POST', '/v1/customers'],
      ['GET', '/v1/dealers'],
      ['GET', '/v1/customers/0190c8a0-0000-7000-8000-000000000001'],
      ['GET', `http://127.0.0.1:${customersPort}/v1/attribute-definitions`],
      ['GET', '/%761/dealers'],
    ] as const) {
      expectUnauthenticated(await rawRequest(customersPort, method, target, captured));
    }
    const expired = signPrincipal(admin, INTERNAL_SECRET, { method: 'GET', url: '/v1/customers' }, new Date(Date.now() - 61_000));
    expectUnauthenticated(await rawRequest(customersPort, 'GET', '/v1/customers', expired));
  });

  it('lets gateway traffic through, absolute-form and %-encoded targets included', async () => {
    for (const target of ['/v1/customers?limit=1', '/%761/customers?limit=1', `${api}/v1/customers?limit=1`]) {
      const answer = await rawRequest(Number(new URL(api).port), 'GET', target, ADMIN);
      expect({ target, status: answer.status, body: answer.body }).toEqual({ target, status: 200, body: expect.any(String) });
      expect(JSON.parse(answer.body)).toHaveProperty('items');
    }
    for (const target of ['/%761/customers', `${api}/v1/customers`, `${api}/v1/no-such-route`, '/%761/no-such-route']) {
      expect([target, (await rawRequest(Number(new URL(api).port), 'GET', target)).status]).toEqual([target, 401]);
    }
  });
});

describe('API clients for dealers, checked with the customers service', () => {
  const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${api}${url}`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
  };
  const storedClients = async () => Number((await sql<{ n: string }>`select count(*) as n from gateway.api_client`.execute(db)).rows[0]?.n);
  const storedReplays = async () => Number((await sql<{ n: string }>`select count(*) as n from gateway.idempotency_key`.execute(db)).rows[0]?.n);

  it('issues a credential for an existing dealer', async () => {
    const dealer = await post('/v1/dealers', { code: 'EDGE-01', name: 'Edge One' });
    expect(dealer.status).toBe(201);
    const client = await post('/v1/api-clients', { name: 'EDGE-01 portal', principal: { kind: 'dealer', subject: 'edge-01', dealerId: dealer.body.id } });
    expect(client.status).toBe(201);
    expect(client.body.principal).toEqual({ kind: 'dealer', subject: 'edge-01', dealerId: dealer.body.id });
  });

  it('refuses an unknown dealer with 422 problem+json and writes nothing', async () => {
    const [clientsBefore, replaysBefore] = [await storedClients(), await storedReplays()];
    for (const headers of [{}, { 'idempotency-key': 'edge-unknown-dealer-1' }] as Record<string, string>[]) {
      const refused = await post('/v1/api-clients', { name: 'ghost portal', principal: { kind: 'dealer', subject: 'ghost', dealerId: '0190c8a0-0000-7000-8000-00000000dead' } }, headers);
      expect({ status: refused.status, contentType: refused.contentType }).toEqual({ status: 422, contentType: 'application/problem+json; charset=utf-8' });
      expect(refused.body).toMatchObject({ type: 'urn:crm:problem:unknown-dealer', status: 422, detail: expect.stringContaining('0190c8a0-0000-7000-8000-00000000dead') });
    }
    expect([await storedClients(), await storedReplays()]).toEqual([clientsBefore, replaysBefore]);
  });
});
