import { etagOf, IdempotencyKeyHeader, IfMatchHeaders, NDJSON, pageOf, problemResponses, readBatch, sendNdjson, type App, type NdjsonLimits } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import type { CustomersService } from './customers.service';
import { BatchAnswer, BatchBody, CustomerInput, CustomerView, ExternalIdParams, IdParams, MAX_JSON_BATCH, NewCustomerInput, SearchQuery } from './customers.schemas';

const tags = ['customers'];

export function customersRoutes(app: App, { customers, ndjson }: { customers: CustomersService; ndjson: NdjsonLimits }): void {
  app.post(
    '/v1/customers',
    {
      config: { access: access.write },
      schema: {
        operationId: 'createCustomer',
        tags,
        summary: 'Create a customer',
        headers: z.object({ 'idempotency-key': IdempotencyKeyHeader }),
        body: NewCustomerInput,
        response: { 201: CustomerView, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const view = await customers.create(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/customers/${view.id}`).header('etag', etagOf(view.version)).send(view);
    },
  );

  app.get(
    '/v1/customers',
    {
      config: { access: access.read },
      schema: {
        operationId: 'listCustomers',
        tags,
        summary: 'Search customers',
        description: 'By name prefix/similarity (q), e-mail, phone, external id, role, lifecycle stage or dealer.',
        querystring: SearchQuery,
        response: { 200: pageOf(CustomerView), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => customers.search(request.principal, request.query),
  );

  app.get(
    '/v1/customers/:id',
    {
      config: { access: access.read },
      schema: {
        operationId: 'getCustomer',
        tags,
        summary: 'Read a customer (a merged id redirects to the survivor)',
        params: IdParams,
        response: { 200: CustomerView, 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) },
      },
    },
    async (request, reply) => {
      const found = await customers.get(request.principal, request.params.id);
      if (found.kind === 'moved') return reply.redirect(`/v1/customers/${found.survivorId}`, 308);
      return reply.header('etag', etagOf(found.value.version)).send(found.value);
    },
  );

  app.patch(
    '/v1/customers/:id',
    {
      config: { access: access.write },
      schema: {
        operationId: 'updateCustomer',
        tags,
        summary: 'Change a customer (If-Match required)',
        params: IdParams,
        headers: IfMatchHeaders,
        body: CustomerInput,
        response: { 200: CustomerView, ...problemResponses(400, 401, 403, 404, 409, 410, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const view = await customers.update(request.principal, request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );

  app.put(
    '/v1/customers/by-external-id/:system/:externalId',
    {
      config: { access: access.write },
      schema: {
        operationId: 'upsertCustomerByExternalId',
        tags,
        summary: 'Idempotent upsert by an external system id',
        description: 'Creates the customer (201) or applies the fields given (200); If-Match is optional here and checked when sent.',
        params: ExternalIdParams,
        headers: IfMatchHeaders,
        body: CustomerInput,
        response: { 200: CustomerView, 201: CustomerView, ...problemResponses(400, 401, 403, 409, 410, 412, 422) },
      },
    },
    async (request, reply) => {
      const externalId = { system: request.params.system, id: request.params.externalId };
      const { created, view } = await customers.upsertByExternalId(request.principal, externalId, request.body, request.headers['if-match']);
      return reply.code(created ? 201 : 200).header('etag', etagOf(view.version)).send(view);
    },
  );

  app.post(
    '/v1/customers/batch',
    {
      bodyLimit: 64 * 1024 * 1024,
      config: { access: access.write },
      schema: {
        operationId: 'upsertCustomersBatch',
        tags,
        summary: `Upsert up to ${MAX_JSON_BATCH} customers (JSON), or any number as an NDJSON stream`,
        description:
          'JSON: `{ "items": [CustomerBatchItem…] }` → per-item results. `Content-Type: application/x-ndjson`: one ' +
          'CustomerBatchItem per line → an NDJSON stream of per-line results (`index` = line number − 1), then `{ "summary": … }`. ' +
          'Each item is checked on its own: a bad item gets an error result and never blocks or half-writes the others. ' +
          'A stream past its limits (bytes, lines) is stopped there: the lines before stay written and the answer ends with `{ "error": problem }` (413).',
        consumes: ['application/json', NDJSON],
        body: BatchBody,
        response: { 200: BatchAnswer, ...problemResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const batch = await readBatch(request, reply, ndjson);
      if (batch.kind === 'json') return customers.upsertBatch(request.principal, batch.items);
      return sendNdjson(reply, customers.upsertBatchStream(request.principal, batch.lines));
    },
  );
}
