import { connect } from 'node:net';
import { customersService } from '@crm/customers';
import { gatewayService } from '@crm/gateway';
import { scoringService } from '@crm/scoring';
import { baseConfigSchema, createLogger, loadConfig, runServices } from '@crm/platform';
import { createTestDatabase, eventually, freePort, type TestDatabase } from '@crm/testkit';

/**
 * §2.3 / §2.5 on the suite as `runServices` starts it (real PostgreSQL, real HTTP): framework errors
 * are problem+json at the gateway and at each service directly, and the settings reach every app.
 */
let database: TestDatabase;
let suite: Awaited<ReturnType<typeof runServices>>;
let ports: { gateway: number; customers: number; scoring: number };
const ADMIN = { authorization: 'Bearer crm-dev-admin-key' };

beforeAll(async () => {
  database = await createTestDatabase();
  const [gateway, customers, scoring] = [await freePort(), await freePort(), await freePort()];
  ports = { gateway, customers, scoring };
  const env = {
    PORT: String(gateway),
    CUSTOMERS_PORT: String(customers),
    CUSTOMERS_URL: `http://127.0.0.1:${customers}`,
    SCORING_PORT: String(scoring),
    SCORING_URL: `http://127.0.0.1:${scoring}`,
  };
  const config = loadConfig(baseConfigSchema, {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    HTTP_MAX_URL_BYTES: '4096',
    MAX_EVENT_LOOP_DELAY_MS: '100',
    RETRY_AFTER_SECONDS: '9',
  });
  Object.assign(process.env, env);
  suite = await runServices([customersService, scoringService, gatewayService], {
    config,
    logger: createLogger({ name: 'runtime-limits-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    env,
  });
});
afterAll(async () => {
  await suite?.close();
  await database?.drop();
});

interface RawResponse {
  status: number;
  contentType: string | undefined;
  body: string;
}

function rawRequest(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      resolve({
        status: Number(head.split(' ')[1]),
        contentType: /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1],
        body: rest.join('\r\n\r\n'),
      });
    });
    socket.write(request);
  });
}

const get = (target: string, headers = '') =>
  `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: ${ADMIN.authorization}\r\n${headers}\r\n`;

function expectProblem(response: RawResponse, status: number, type: string): void {
  expect({ status: response.status, contentType: response.contentType }).toEqual({ status, contentType: 'application/problem+json; charset=utf-8' });
  expect(JSON.parse(response.body)).toMatchObject({ type: `urn:crm:problem:${type}`, status });
}

describe.each(['gateway', 'customers', 'scoring'] as const)('framework errors at the %s', (service) => {
  const port = () => ports[service];

  it('answers a URL over HTTP_MAX_URL_BYTES (4 KiB here) with 414, and one over the 16 KiB head too', async () => {
    expectProblem(await rawRequest(port(), get(`/v1/customers?q=${'a'.repeat(5000)}`)), 414, 'uri-too-long');
    expectProblem(await rawRequest(port(), get(`/v1/customers?q=${'a'.repeat(20_000)}`)), 414, 'uri-too-long');
  });

  it('answers headers over 16 KiB with 431 and a garbage request with 400', async () => {
    expectProblem(await rawRequest(port(), get('/v1/customers', `X-Big: ${'h'.repeat(17_000)}\r\n`)), 431, 'headers-too-large');
    expectProblem(await rawRequest(port(), 'HELLO THERE\r\n\r\n'), 400, 'malformed-request');
  });

  it('keeps serving', async () => {
    const response = await fetch(`http://127.0.0.1:${port()}/health/live`);
    expect(response.status).toBe(200);
  });
});

describe('through the gateway', () => {
  it('passes a URL just inside the limit on to the route, which judges it', async () => {
    const url = `/v1/customers?limit=1&q=${'a'.repeat(4096 - '/v1/customers?limit=1&q='.length)}`;
    expect(url).toHaveLength(4096);
    const response = await fetch(`http://127.0.0.1:${ports.gateway}${url}`, { headers: ADMIN });
    // The customers route's own rule on the search text, not the URL limit.
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'urn:crm:problem:validation', errors: [expect.objectContaining({ field: 'query.q' })] });
  });

  it('sheds load with 503 overloaded and Retry-After while the event loop lags, and serves again afterwards', async () => {
    // Busy in slices (the whole suite shares this process's event loop), asking between them: the lag is
    // there whenever the gateway samples it, however its sampling interval falls.
    const deadline = Date.now() + 10_000;
    let shed: Response | undefined;
    while (!shed && Date.now() < deadline) {
      const slice = Date.now() + 300;
      while (Date.now() < slice) {
        /* busy */
      }
      const response = await fetch(`http://127.0.0.1:${ports.gateway}/v1/customers?limit=1`, { headers: ADMIN });
      if (response.status === 503) shed = response;
      else await response.arrayBuffer();
    }
    if (!shed) throw new Error('the gateway never shed load while the event loop lagged');
    expect({ contentType: shed.headers.get('content-type'), retryAfter: shed.headers.get('retry-after') }).toEqual({
      contentType: 'application/problem+json; charset=utf-8',
      retryAfter: '9',
    });
    expect(await shed.json()).toMatchObject({ type: 'urn:crm:problem:overloaded', status: 503 });
    expect((await fetch(`http://127.0.0.1:${ports.gateway}/health/live`)).status).toBe(200);
    await eventually(
      'the suite to serve again',
      async () => ((await fetch(`http://127.0.0.1:${ports.gateway}/v1/customers?limit=1`, { headers: ADMIN })).status === 200 ? true : undefined),
      5000,
    );
  });
});
