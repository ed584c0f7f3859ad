import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { verifyPrincipal, ProblemError } from '@crm/platform';
import Fastify, { type FastifyInstance } from 'fastify';
import { INTERNAL_SECRET } from './harness';

/** A small OpenAPI document as the customers service would serve it. */
export const ECHO_DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'customers', version: '0.1.0' },
  tags: [{ name: 'customers' }],
  paths: {
    '/v1/customers': {
      get: {
        tags: ['customers'],
        summary: 'List customers',
        responses: { '200': { description: 'A page', content: { 'application/json': { schema: { $ref: '#/components/schemas/CustomerPage' } } } } },
      },
    },
    '/v1/customers/{id}': {
      get: {
        tags: ['customers'],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          '200': { description: 'The customer', content: { 'application/json': { schema: { $ref: '#/components/schemas/Customer' } } } },
          '404': { description: 'Not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiClient' } } } },
        },
      },
    },
    // Not routed to this upstream by the gateway: must not be published.
    '/v1/internal-only': { get: { responses: { '200': { description: 'ok' } } } },
  },
  components: {
    schemas: {
      Customer: { type: 'object', properties: { id: { type: 'string' }, displayName: { type: 'string' } }, required: ['id'] },
      CustomerPage: { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Customer' } } } },
      // Clashes with the gateway's own ApiClient schema: the merge must rename it.
      ApiClient: { type: 'object', properties: { code: { type: 'string' } } },
    },
  },
  security: [{ bearer: [] }],
};

export interface EchoUpstream {
  url: string;
  /** Requests that reached the upstream. */
  hits: number;
  /** While false, `GET /openapi.json` answers 503. */
  serveDocument: boolean;
  close(): Promise<void>;
}

/**
 * A real HTTP upstream for the gateway: it checks the forwarded principal with the platform's
 * `verifyPrincipal` (as every service does) and echoes what it received.
 */
export async function startEchoUpstream(options: { bodyLimit?: number } = {}): Promise<EchoUpstream> {
  const app: FastifyInstance = Fastify({ bodyLimit: options.bodyLimit ?? 1024 });
  const state = { hits: 0, serveDocument: true };
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.addHook('onRequest', async () => void (state.hits += 1));
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ProblemError) return reply.code(error.problem.status).type('application/problem+json').send(error.toDocument());
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status).send({ message: String(error) });
  });

  app.get('/openapi.json', async (_request, reply) => (state.serveDocument ? ECHO_DOCUMENT : reply.code(503).send({ message: 'starting' })));

  app.post('/v1/customers/batch', async (request) => {
    const principal = verifyPrincipal(request.headers, INTERNAL_SECRET, request);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of request.body as Readable) {
      bytes += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
    return { principal, bytes, sha256: hash.digest('hex') };
  });

  app.get('/v1/customers/conflict', async (_request, reply) =>
    reply.code(409).type('application/problem+json').header('etag', '"7"').send({ type: 'urn:crm:problem:conflict', title: 'Conflict', status: 409, detail: 'from upstream' }),
  );

  // 1.5 s to answer: past a short UPSTREAM_TIMEOUT_MS, within UPSTREAM_LONG_TIMEOUT_MS on long-running routes.
  const slow = async (request: { url: string }) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return { slow: true, url: request.url };
  };
  app.get('/v1/customers/slow', slow);
  app.get('/v1/scoring/slow', slow);
  app.post('/v1/scoring/models/clv/fit', slow);
  app.put('/v1/tiers', slow);

  app.all('/*', async (request) => {
    const principal = verifyPrincipal(request.headers, INTERNAL_SECRET, request);
    return { principal, method: request.method, url: request.url, headers: request.headers };
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('echo upstream has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    get hits() {
      return state.hits;
    },
    get serveDocument() {
      return state.serveDocument;
    },
    set serveDocument(value: boolean) {
      state.serveDocument = value;
    },
    close: () => app.close(),
  };
}
