import { z } from 'zod';
import { applyContractConventions, createApp, createLogger, documentedAs, etagOf, IfMatchHeaders, NDJSON, pageOf, problemResponses, sendsHeaders, type App } from '../src';

/** A service's document, built in process (no listening) from routes that declare only their own things. */
const Widget = z.object({ id: z.uuid(), name: z.string(), version: z.number().int() }).meta({ id: 'ConventionWidget' });
const WidgetItem = z.strictObject({ name: z.string() }).meta({ id: 'ConventionWidgetItem' });
type Operation = {
  operationId?: string;
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: Record<string, unknown> }> }>;
};
type Document = { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> }; security: unknown[] };

let app: App;
let document: Document;
beforeAll(async () => {
  app = await createApp({ name: 'conventions', logger: createLogger({ name: 'conventions', level: 'silent' }) });
  const widget = { id: '0190c8a0-0000-7000-8000-000000000001', name: 'w', version: 1 };
  app.post('/v1/widgets', { config: { public: true }, schema: { operationId: 'createWidget', body: z.object({ name: z.string() }), response: { 201: Widget, ...problemResponses(400, 422) } } }, async (_r, reply) => reply.code(201).send(widget));
  app.get('/v1/widgets', { config: { public: true }, schema: { operationId: 'listWidgets', response: { 200: pageOf(Widget) } } }, async () => ({ items: [widget], nextCursor: null }));
  app.get('/v1/widgets/:id', { config: { public: true }, schema: { operationId: 'getWidget', params: z.object({ id: z.uuid() }), response: { 200: Widget, ...problemResponses(404) } } }, async (_r, reply) => reply.header('etag', etagOf(1)).send(widget));
  app.patch(
    '/v1/widgets/:id',
    { config: { public: true }, schema: { operationId: 'updateWidget', params: z.object({ id: z.uuid() }), headers: IfMatchHeaders, body: z.object({ name: z.string() }), response: { 200: Widget, ...problemResponses(412, 428) } } },
    async () => widget,
  );
  app.post('/v1/widgets/:id/notes', { config: { public: true }, schema: { operationId: 'addWidgetNote', params: z.object({ id: z.uuid() }), response: { 201: z.object({ note: z.string() }) } } }, async (_r, reply) => reply.code(201).send({ note: 'n' }));
  app.post(
    '/v1/widgets/batch',
    {
      config: { public: true },
      schema: {
        operationId: 'importWidgets',
        consumes: ['application/json', NDJSON],
        ...sendsHeaders({ 200: ['Location'] }),
        body: z.object({ items: z.array(documentedAs(WidgetItem)) }),
        response: { 200: z.object({ count: z.number() }) },
      },
    },
    async () => ({ count: 0 }),
  );
  await app.ready();
  document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
});
afterAll(async () => app?.close());

const operation = (path: string, method: string) => document.paths[path]?.[method] as Operation;

describe('the contract conventions', () => {
  it('keep the operationIds the routes declare', () => {
    expect(operation('/v1/widgets', 'post').operationId).toBe('createWidget');
    expect(operation('/v1/widgets/{id}', 'patch').operationId).toBe('updateWidget');
  });

  it('answer errors as problem+json with the Problem schema, described from the catalogue, 429/503 with Retry-After', () => {
    const { responses } = operation('/v1/widgets', 'post');
    expect(responses['422']).toEqual({
      description: 'The request cannot be applied (problem details)',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    expect(responses['400']?.description).toBe('The request is not valid (problem details)');
    expect(Object.keys(responses['429']?.headers ?? {})).toEqual(['Retry-After']);
    expect(Object.keys(responses['503']?.headers ?? {})).toEqual(['Retry-After']);
    expect(responses['201']?.description).toBe('Created');
    expect(operation('/v1/widgets', 'get').responses['200']?.description).toBe('OK');
  });

  it('declare ETag on a versioned resource, Location on what a POST creates, and headers a route declares', () => {
    expect(Object.keys(operation('/v1/widgets/{id}', 'get').responses['200']?.headers ?? {})).toEqual(['ETag']);
    expect(Object.keys(operation('/v1/widgets', 'post').responses['201']?.headers ?? {}).sort()).toEqual(['ETag', 'Location']);
    expect(operation('/v1/widgets', 'get').responses['200']?.headers).toBeUndefined();
    expect(operation('/v1/widgets/{id}/notes', 'post').responses['201']?.headers).toBeUndefined();
    expect(Object.keys(operation('/v1/widgets/batch', 'post').responses['200']?.headers ?? {})).toEqual(['Location']);
    expect(JSON.stringify(document)).not.toContain('x-response-headers');
  });

  it('require If-Match where a missing one answers 428', () => {
    const ifMatch = operation('/v1/widgets/{id}', 'patch').parameters?.find((parameter) => parameter.name === 'if-match');
    expect(ifMatch).toMatchObject({ in: 'header', required: true });
  });

  it('declare an NDJSON body as a stream of the JSON items, documented by their schema', () => {
    const content = operation('/v1/widgets/batch', 'post').requestBody?.content ?? {};
    expect(content['application/json']?.schema).toMatchObject({ properties: { items: { items: { $ref: '#/components/schemas/ConventionWidgetItemInput' } } } });
    expect(content[NDJSON]?.schema).toMatchObject({ $ref: '#/components/schemas/ConventionWidgetItemInput' });
    expect(document.components.schemas.ConventionWidgetItemInput).toMatchObject({ type: 'object', required: ['name'] });
  });

  it('offer bearer and OAuth 2.0 client credentials', () => {
    expect(document.components.securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' }, oauth2: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token' } } } });
    expect(document.security).toEqual([{ bearer: [] }, { oauth2: [] }]);
  });

  it('change nothing when applied again', () => {
    const again = applyContractConventions(structuredClone(document));
    expect(again).toEqual(document);
  });

  it('refuse to document a value by a schema without a component id', () => {
    expect(() => documentedAs(z.object({ name: z.string() }))).toThrow(/meta\(\{ id \}\)/);
  });
});
