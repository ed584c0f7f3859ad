import { validate, compileErrors } from '@readme/openapi-parser';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream';
import { deadPort, startGateway, type GatewayHarness } from './harness';

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  security: unknown[];
  'x-missing-upstreams': string[];
}

let upstream: EchoUpstream;
let h: GatewayHarness;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  h = await startGateway({ env: { CUSTOMERS_URL: upstream.url } });
});
afterAll(async () => {
  await h?.close();
  await upstream?.close();
});

const fetchDocument = async (harness: GatewayHarness = h) => {
  const response = await harness.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  return response.json<Document>();
};

async function expectValid(document: unknown): Promise<void> {
  // validate() dereferences in place: hand it a copy.
  const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
  if (!result.valid) throw new Error(compileErrors(result));
  expect(result.valid).toBe(true);
}

describe('the merged OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document with the gateway\'s and the upstream\'s paths', async () => {
    const document = await fetchDocument();
    await expectValid(document);
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/oauth/token', '/v1/api-clients', '/v1/api-clients/{id}', '/v1/customers', '/v1/customers/{id}']),
    );
    expect(document['x-missing-upstreams']).toEqual([]);
  });

  it('publishes only what the gateway routes, and none of the operational endpoints', async () => {
    const paths = Object.keys((await fetchDocument()).paths);
    expect(paths).not.toContain('/v1/internal-only');
    for (const hidden of ['/openapi.json', '/health/live', '/health/ready', '/metrics', '/docs', '/v1/customers/*']) expect(paths).not.toContain(hidden);
  });

  it('declares bearer and OAuth 2.0 client-credentials security, and none on the token endpoint', async () => {
    const document = await fetchDocument();
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.oauth2).toMatchObject({ type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token' } } });
    expect(document.security).toEqual([{ bearer: [] }, { oauth2: [] }]);
    expect(document.paths['/oauth/token']?.post?.security).toEqual([]);
  });

  it('keeps both schemas when names clash, renaming the upstream\'s and its references', async () => {
    const document = await fetchDocument();
    const schemas = document.components.schemas;
    expect(schemas.ApiClient).toMatchObject({ properties: expect.objectContaining({ clientId: expect.anything() }) });
    expect(schemas.CustomersApiClient).toEqual({ type: 'object', properties: { code: { type: 'string' } } });
    expect(JSON.stringify(document.paths['/v1/customers/{id}'])).toContain('#/components/schemas/CustomersApiClient');
    expect(schemas.Customer).toBeDefined();
    expect(schemas.CustomerPage).toBeDefined();
    // The gateway's own routes reference their schemas, and every reference resolves.
    expect(JSON.stringify(document.paths['/v1/api-clients'])).toContain('#/components/schemas/Problem');
    expect(schemas.Problem).toBeDefined();
  });

  it('is the document /docs shows', async () => {
    const page = await h.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    const shown = await h.inject({ method: 'GET', url: '/docs/json' });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toEqual(await fetchDocument());
  });

  it('answers /docs itself and its YAML form with the merged document too', async () => {
    const page = await h.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const yaml = await h.inject({ method: 'GET', url: '/docs/yaml' });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.body).toContain('title: CRM API');
    expect(yaml.body).toContain('/v1/customers/{id}:');
  });
});

describe('an upstream without its document', () => {
  it('leaves it out, names it, and still serves a valid document', async () => {
    const gateway = await startGateway({ env: { CUSTOMERS_URL: `http://127.0.0.1:${await deadPort()}` } });
    try {
      const document = await fetchDocument(gateway);
      await expectValid(document);
      expect(document['x-missing-upstreams']).toEqual(['customers']);
      expect(Object.keys(document.paths)).toContain('/v1/api-clients');
      expect(Object.keys(document.paths)).not.toContain('/v1/customers');
      expect((await gateway.inject({ method: 'GET', url: '/docs/json' })).json()).toMatchObject({ 'x-missing-upstreams': ['customers'] });
    } finally {
      await gateway.close();
    }
  });

  it('asks again on the next request and merges it once it answers', async () => {
    const flaky = await startEchoUpstream();
    flaky.serveDocument = false;
    const gateway = await startGateway({ env: { CUSTOMERS_URL: flaky.url } });
    try {
      expect((await fetchDocument(gateway))['x-missing-upstreams']).toEqual(['customers']);
      flaky.serveDocument = true;
      const document = await fetchDocument(gateway);
      expect(document['x-missing-upstreams']).toEqual([]);
      expect(Object.keys(document.paths)).toContain('/v1/customers');
      await expectValid(document);
    } finally {
      await gateway.close();
      await flaky.close();
    }
  });
});
