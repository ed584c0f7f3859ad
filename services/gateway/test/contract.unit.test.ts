import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What a client generator and a reader need from the committed contract (services/gateway/openapi.json,
 * written by `pnpm openapi`; the suite test checks it matches what the gateway serves).
 */
interface Operation {
  operationId?: string;
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: Record<string, unknown> }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas: Record<string, unknown> };
  security: unknown[];
}

const document = JSON.parse(readFileSync(path.resolve(__dirname, '../openapi.json'), 'utf8')) as Document;
const operations = Object.entries(document.paths).flatMap(([route, item]) =>
  Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${route}`, method, route, operation })),
);

describe('the committed contract', () => {
  it('has operations to check', () => {
    expect(operations.length).toBeGreaterThan(40);
  });

  it('names every operation once', () => {
    const missing = operations.filter(({ operation }) => !operation.operationId).map(({ name }) => name);
    expect(missing).toEqual([]);
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z]+$/);
  });

  it('answers every error as problem+json with the Problem schema', () => {
    for (const { name, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^[45]/.test(status)) continue;
        expect([name, status, Object.keys(response.content ?? {})]).toEqual([name, status, ['application/problem+json']]);
        expect(response.content?.['application/problem+json']?.schema).toEqual({ $ref: '#/components/schemas/Problem' });
      }
    }
    expect(document.components.schemas.Problem).toMatchObject({ required: ['type', 'title', 'status'] });
  });

  it('describes every response', () => {
    for (const { name, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect([name, status, response.description]).not.toEqual([name, status, 'Default Response']);
        expect(response.description.length).toBeGreaterThan(1);
      }
    }
  });

  it('declares ETag, Location and Retry-After where they are sent', () => {
    const headersOf = (name: string, status: string) => {
      const operation = operations.find((candidate) => candidate.name === name)?.operation;
      return Object.keys(operation?.responses[status]?.headers ?? {});
    };
    expect(headersOf('POST /v1/customers', '201')).toEqual(expect.arrayContaining(['ETag', 'Location']));
    expect(headersOf('GET /v1/customers/{id}', '200')).toContain('ETag');
    expect(headersOf('PATCH /v1/customers/{id}', '200')).toContain('ETag');
    expect(headersOf('GET /v1/tiers', '200')).toContain('ETag');
    expect(headersOf('POST /v1/scoring/runs', '202')).toContain('Location');
    expect(headersOf('POST /v1/transactions/batch', '200')).toContain('Location');
    expect(headersOf('POST /v1/customers/{id}/contacts', '201')).not.toContain('Location');
    expect(headersOf('GET /v1/scoring/models/clv/{version}', '200')).not.toContain('ETag');
    for (const { name, operation } of operations) {
      for (const status of ['429', '503']) expect([name, status, Object.keys(operation.responses[status]?.headers ?? {})]).toEqual([name, status, ['Retry-After']]);
    }
  });

  it('requires If-Match wherever a missing one answers 428', () => {
    const guarded = operations.filter(({ operation }) => '428' in operation.responses);
    expect(guarded.map(({ name }) => name)).toEqual(expect.arrayContaining(['PATCH /v1/customers/{id}', 'PUT /v1/tiers']));
    for (const { name, operation } of guarded) {
      const ifMatch = operation.parameters?.find((parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === 'if-match');
      expect([name, ifMatch?.required]).toEqual([name, true]);
    }
  });

  it('declares NDJSON bodies on the batch routes as a stream of the JSON items', () => {
    for (const route of ['/v1/customers/batch', '/v1/transactions/batch']) {
      const content = document.paths[route]?.post?.requestBody?.content ?? {};
      expect(Object.keys(content).sort()).toEqual(['application/json', 'application/x-ndjson']);
      const items = (content['application/json']?.schema.properties as { items: { items: { $ref: string } } }).items.items;
      expect(items.$ref).toMatch(/^#\/components\/schemas\//);
      expect(content['application/x-ndjson']?.schema.$ref).toBe(items.$ref);
    }
  });

  it('gives rules, tiers and batch items a real schema', () => {
    const schemaRefOf = (name: string, pick: (body: Record<string, unknown>) => unknown) => {
      const operation = operations.find((candidate) => candidate.name === name)?.operation;
      return pick(operation?.requestBody?.content['application/json']?.schema as Record<string, unknown>);
    };
    const property = (key: string) => (body: Record<string, unknown>) => (body.properties as Record<string, unknown>)[key];
    const arrayItems = (key: string) => (body: Record<string, unknown>) => (property(key)(body) as { items: unknown }).items;
    expect(schemaRefOf('POST /v1/segments', property('rule'))).toEqual({ $ref: '#/components/schemas/SegmentRuleInput' });
    expect(schemaRefOf('PUT /v1/tiers', arrayItems('items'))).toEqual({ $ref: '#/components/schemas/TierInput' });
    expect(schemaRefOf('POST /v1/customers/batch', arrayItems('items'))).toEqual({ $ref: '#/components/schemas/CustomerBatchItemInput' });
    expect(schemaRefOf('POST /v1/transactions/batch', arrayItems('items'))).toEqual({ $ref: '#/components/schemas/NewTransactionInput' });
    // The rule language is recursive: all/any/not name the rule itself.
    expect(JSON.stringify(document.components.schemas.SegmentRuleInput)).toContain('"#/components/schemas/SegmentRuleInput"');
  });

  it('offers OAuth 2.0 client credentials next to bearer', () => {
    expect(document.components.securitySchemes.oauth2).toEqual(
      expect.objectContaining({ type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: {} } } }),
    );
    expect(document.security).toEqual([{ bearer: [] }, { oauth2: [] }]);
  });
});
