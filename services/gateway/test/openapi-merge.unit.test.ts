import { mergeOpenApiDocuments } from '../src/api-docs/openapi.merge';
import type { OpenApiDocument } from '../src/api-docs/openapi-document.schemas';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const ok = (schema: object) => ({ responses: { '200': { description: 'ok', content: { 'application/json': { schema } } } } });
const info = { title: 'CRM API', version: '1.0.0' };

const gateway: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'gateway', version: '0.1.0' },
  tags: [{ name: 'api-clients' }],
  paths: { '/v1/api-clients': { get: ok(ref('Problem')) }, '/v1/customers/{id}/360': { get: ok(ref('Customer360')) } },
  components: {
    schemas: {
      Problem: { type: 'object', properties: { type: { type: 'string' } } },
      Customer360: { type: 'object' },
      Unused: { type: 'string' },
    },
  },
};

const customers: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'customers', version: '0.1.0' },
  tags: [{ name: 'customers' }, { name: 'api-clients', description: 'duplicate' }],
  paths: {
    '/v1/customers': { get: ok(ref('Page')), post: ok(ref('Problem')) },
    '/v1/customers/{id}/360': { get: ok({ type: 'string' }), delete: ok(ref('Problem')) },
    '/v1/secret-admin': { get: ok({}) },
  },
  components: {
    schemas: {
      // Same as the gateway's: shared.
      Problem: { properties: { type: { type: 'string' } }, type: 'object' },
      // A different schema under a taken name: renamed, and so is what refers to it.
      Customer360: { type: 'object', properties: { legacy: { type: 'boolean' } } },
      Page: { type: 'object', properties: { items: { type: 'array', items: ref('Customer360') } } },
    },
  },
};

describe('mergeOpenApiDocuments', () => {
  const merged = mergeOpenApiDocuments(gateway, [{ name: 'customers', prefixes: ['/v1/customers'], document: customers }], info);
  const schemas = merged.components?.schemas ?? {};

  it('publishes the gateway paths and only the upstream paths under its prefixes', () => {
    expect(Object.keys(merged.paths ?? {})).toEqual(['/v1/api-clients', '/v1/customers', '/v1/customers/{id}/360']);
  });

  it('lets the gateway win an operation both declare, and adds the upstream\'s other operations', () => {
    const item = merged.paths?.['/v1/customers/{id}/360'] as Record<string, unknown>;
    expect(item.get).toEqual(ok(ref('Customer360')));
    expect(item.delete).toEqual(ok(ref('Problem')));
  });

  it('shares equal schemas, renames clashing ones and rewrites their references', () => {
    expect(Object.keys(schemas)).toEqual(['Customer360', 'CustomersCustomer360', 'Page', 'Problem']);
    expect(schemas.CustomersCustomer360).toEqual(customers.components?.schemas?.Customer360);
    expect(schemas.Page).toEqual({ type: 'object', properties: { items: { type: 'array', items: ref('CustomersCustomer360') } } });
    expect(schemas.Customer360).toEqual({ type: 'object' });
  });

  it('drops schemas no path reaches', () => {
    expect(schemas).not.toHaveProperty('Unused');
  });

  it('sets the suite info, bearer and OAuth 2.0 security, tags once, and no missing upstreams', () => {
    expect(merged).toMatchObject({ openapi: '3.1.0', info, security: [{ bearer: [] }, { oauth2: [] }], 'x-missing-upstreams': [] });
    expect(merged.components).toMatchObject({ securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } });
    expect(merged.tags).toEqual([{ name: 'api-clients' }, { name: 'customers' }]);
  });

  it('names upstreams without a document and keeps the rest', () => {
    const partial = mergeOpenApiDocuments(gateway, [{ name: 'customers', prefixes: ['/v1/customers'], document: undefined }], info);
    expect(partial['x-missing-upstreams']).toEqual(['customers']);
    expect(Object.keys(partial.paths ?? {})).toEqual(['/v1/api-clients', '/v1/customers/{id}/360']);
  });

  it('does not change its inputs', () => {
    expect(customers.paths?.['/v1/customers']).toEqual({ get: ok(ref('Page')), post: ok(ref('Problem')) });
    expect(customers.components?.schemas?.Page).toEqual({ type: 'object', properties: { items: { type: 'array', items: ref('Customer360') } } });
  });
});
