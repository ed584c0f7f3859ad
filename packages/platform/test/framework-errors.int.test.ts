import { connect } from 'node:net';
import { z } from 'zod';
import { createApp, type App } from '../src/app';
import { APP_LIMIT_DEFAULTS } from '../src/app-limits';
import { createLogger } from '../src/logger';

/**
 * Every answer a client can provoke before or around the routes, over a real socket: what Node's
 * parser refuses, what Fastify's router and body parsers refuse, and that the process keeps serving.
 */
let app: App;
let port: number;

beforeAll(async () => {
  app = await createApp({
    name: 'framework-errors-test',
    logger: createLogger({ name: 'framework-errors-test', level: 'silent' }),
    limits: { ...APP_LIMIT_DEFAULTS, headersTimeoutMs: 1000 },
  });
  app.get('/v1/things/:id', { config: { public: true }, schema: { params: z.object({ id: z.string() }) } }, async (request) => ({ id: request.params.id }));
  app.post('/v1/things', { config: { public: true }, schema: { body: z.object({ name: z.string() }) } }, async (request) => request.body);
  // What plugins throw (content negotiation, method checks): an error with a status only.
  app.get('/v1/status/:status', { config: { public: true } }, async (request) => {
    const status = Number((request.params as { status: string }).status);
    throw Object.assign(new Error(`plugin said ${status}`), { statusCode: status });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => {
  await app.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `request` as is on a fresh connection; resolves with what came back when the server closed (or after `waitMs`). */
function rawRequest(request: string | Buffer, { waitMs = 10_000 } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? finish() : reject(error)));
    socket.write(request);
  });
}

const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headers}\r\n`;

function expectProblem(response: RawResponse, status: number, type: string): void {
  expect({ status: response.status, contentType: response.headers['content-type'] }).toEqual({
    status,
    contentType: 'application/problem+json; charset=utf-8',
  });
  expect(JSON.parse(response.body)).toMatchObject({ type: `urn:crm:problem:${type}`, status });
}

async function expectStillServing(): Promise<void> {
  const response = await rawRequest(get('/v1/things/still-here'));
  expect(response.status).toBe(200);
  expect(JSON.parse(response.body)).toEqual({ id: 'still-here' });
}

describe('errors from the HTTP parser, before any route', () => {
  it('answers a URL over the limit but inside the 16 KiB head with 414', async () => {
    expectProblem(await rawRequest(get(`/v1/things/x?q=${'a'.repeat(9000)}`)), 414, 'uri-too-long');
    expectProblem(await rawRequest(get(`/v1/${'a'.repeat(9000)}`)), 414, 'uri-too-long');
    await expectStillServing();
  });

  it('answers a URL longer than the whole 16 KiB head with 414 too', async () => {
    expectProblem(await rawRequest(get(`/v1/things/x?q=${'a'.repeat(40_000)}`)), 414, 'uri-too-long');
    await expectStillServing();
  });

  it('serves a URL just inside the limit', async () => {
    const url = `/v1/things/x?q=${'b'.repeat(APP_LIMIT_DEFAULTS.maxUrlBytes - '/v1/things/x?q='.length)}`;
    expect(url).toHaveLength(APP_LIMIT_DEFAULTS.maxUrlBytes);
    const response = await rawRequest(get(url));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ id: 'x' });
  });

  it('answers headers over 16 KiB with 431', async () => {
    expectProblem(await rawRequest(get('/v1/things/x', `X-Big: ${'h'.repeat(20_000)}\r\n`)), 431, 'headers-too-large');
    expectProblem(
      await rawRequest(get('/v1/things/x', Array.from({ length: 400 }, (_, i) => `X-Many-${i}: ${'v'.repeat(40)}\r\n`).join(''))),
      431,
      'headers-too-large',
    );
    await expectStillServing();
  });

  it.each([
    ['a garbage request line', 'THIS IS NOT HTTP\r\n\r\n'],
    ['binary noise', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x0d, 0x0a, 0x0d, 0x0a])],
    ['a space in the path', 'GET /v1/things/a b HTTP/1.1\r\nHost: localhost\r\n\r\n'],
    ['a header without a colon', 'GET /v1/things/x HTTP/1.1\r\nHost: localhost\r\nBroken header\r\n\r\n'],
    ['two Content-Lengths that disagree', 'POST /v1/things HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
    ['a bad chunk size', 'POST /v1/things HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
  ])('answers %s with 400', async (_case, request) => {
    expectProblem(await rawRequest(request), 400, 'malformed-request');
    await expectStillServing();
  });

  it('answers a client that does not finish its request head in time with 408 and closes the connection', async () => {
    const started = Date.now();
    const response = await rawRequest('GET /v1/things/slow HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    expectProblem(response, 408, 'request-timeout');
    expect(Date.now() - started).toBeLessThan(5000);
    await expectStillServing();
  });
});

describe('errors from the framework, as problem+json', () => {
  it('answers a path with a broken percent-encoding with 400', async () => {
    expectProblem(await rawRequest(get('/v1/things/%E0%A4%A')), 400, 'malformed-request');
  });

  it('serves a long percent-encoded path parameter (an external id of 200 characters)', async () => {
    const id = 'é'.repeat(200);
    const response = await rawRequest(get(`/v1/things/${encodeURIComponent(id)}`));
    expect(response.status).toBe(200);
    expect(JSON.parse(Buffer.from(response.body, 'latin1').toString('utf8'))).toEqual({ id });
  });

  it.each([
    [405, 'method-not-allowed'],
    [406, 'not-acceptable'],
    [408, 'request-timeout'],
    [415, 'unsupported-media-type'],
    [418, 'http-418'],
    [503, 'unavailable'],
  ])('answers an error with status %s from a plugin as %s', async (status, type) => {
    const response = await rawRequest(get(`/v1/status/${status}`));
    expectProblem(response, status, type);
    if (status === 503) expect(response.headers['retry-after']).toBe('5');
  });

  it('keeps an unexpected 5xx opaque', async () => {
    const response = await rawRequest(get('/v1/status/502'));
    expectProblem(response, 500, 'internal');
    expect(response.body).not.toContain('plugin said');
  });

  it('answers an unknown route or method with 404', async () => {
    expectProblem(await rawRequest(get('/v1/nothing-here')), 404, 'not-found');
    expectProblem(await rawRequest('DELETE /v1/things HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'), 404, 'not-found');
  });

  it.each([
    ['an unsupported content type', 'text/csv', 'a,b', 415, 'unsupported-media-type'],
    ['malformed JSON', 'application/json', '{"name":', 400, 'malformed-json'],
    ['an empty JSON body', 'application/json', '', 400, 'malformed-json'],
    ['an invalid body', 'application/json', '{"name":1}', 400, 'validation'],
    ['a body over the limit', 'application/json', JSON.stringify({ name: 'n'.repeat(1024 * 1024 + 10) }), 413, 'payload-too-large'],
  ])('answers %s', async (_case, contentType, body, status, type) => {
    const request = `POST /v1/things HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    expectProblem(await rawRequest(request), status, type);
  });

  it('answers a body shorter than its Content-Length, once the client gives up, without harm', async () => {
    const socketResponse = await rawRequest('POST /v1/things HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na', { waitMs: 500 });
    // Nothing was answered yet (the server waits for the rest), and nothing broke.
    expect(Number.isNaN(socketResponse.status)).toBe(true);
    await expectStillServing();
  });
});

describe('slow clients', () => {
  /** Headers within 1 s; the whole request within `requestTimeoutMs`. */
  async function appWith(requestTimeoutMs: number): Promise<{ app: App; port: number }> {
    const slowApp = await createApp({
      name: 'slow-clients-test',
      logger: createLogger({ name: 'slow-clients-test', level: 'silent' }),
      limits: { ...APP_LIMIT_DEFAULTS, headersTimeoutMs: 1000, requestTimeoutMs },
    });
    slowApp.post('/v1/uploads', { config: { public: true } }, async (request) => {
      let bytes = 0;
      for await (const chunk of request.body as AsyncIterable<Buffer>) bytes += chunk.length;
      return { bytes };
    });
    await slowApp.listen({ host: '127.0.0.1', port: 0 });
    const address = slowApp.server.address();
    return { app: slowApp, port: typeof address === 'object' && address ? address.port : 0 };
  }

  /** Sends the request head, then `parts` body chunks `everyMs` apart (chunked), then the end; resolves with the raw answer. */
  function trickle(target: number, parts: number, everyMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: target });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
      socket.write('POST /v1/uploads HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n');
      let sent = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        if (sent === parts) {
          clearInterval(timer);
          socket.write('0\r\n\r\n');
          return;
        }
        sent += 1;
        const line = '{"line":1}\n';
        socket.write(`${line.length.toString(16)}\r\n${line}\r\n`);
      }, everyMs);
    });
  }

  it('lets an upload that keeps streaming run past the headers timeout when the request timeout is off', async () => {
    const { app: slowApp, port: slowPort } = await appWith(0);
    try {
      const answer = await trickle(slowPort, 8, 300);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toContain('{"bytes":88}');
    } finally {
      await slowApp.close();
    }
  });

  it('cuts a request whose body does not arrive within the request timeout with 408, and keeps serving', async () => {
    const { app: slowApp, port: slowPort } = await appWith(1500);
    try {
      const started = Date.now();
      const answer = await trickle(slowPort, 100, 500);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('application/problem+json');
      expect(answer).toContain('"type":"urn:crm:problem:request-timeout"');
      expect(await trickle(slowPort, 1, 10)).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      await slowApp.close();
    }
  });
});

describe('shutting down', () => {
  it('answers a request that arrives on a kept-alive connection while the app closes with 503 problem+json and Connection: close', async () => {
    const closingApp = await createApp({ name: 'closing-test', logger: createLogger({ name: 'closing-test', level: 'silent' }) });
    let markStarted = () => undefined as void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    closingApp.get('/v1/slow', { config: { public: true } }, async () => {
      markStarted();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { done: true };
    });
    await closingApp.listen({ host: '127.0.0.1', port: 0 });
    const address = closingApp.server.address();
    const closingPort = typeof address === 'object' && address ? address.port : 0;

    const request = 'GET /v1/slow HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const answers: string[] = [];
    const connectionClosed = new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: closingPort });
      socket.on('data', (chunk) => {
        answers.push(chunk.toString('latin1'));
        // The first answer came while the app was closing; the next request on this connection meets the closing app.
        if (answers.length === 1) socket.write(request);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
      socket.write(request);
    });
    await started;
    await Promise.all([closingApp.close(), connectionClosed]);
    const [first = '', second = ''] = answers;
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/content-type: application\/problem\+json; charset=utf-8/i);
    expect(second).toMatch(/connection: close/i);
    expect(second).toMatch(/retry-after: 5/i);
    expect(second).toContain('"type":"urn:crm:problem:unavailable"');
  });
});
