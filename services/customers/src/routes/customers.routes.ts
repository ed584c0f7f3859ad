import { ExternalId, LifecycleStage, PartyRole, Phone, Email, SafeText } from '@crm/domain';
import {
  etagOf,
  IdempotencyKeyHeader,
  idempotencyScope,
  IfMatchHeaders,
  onceForKey,
  PageQuery,
  pageOf,
  problemResponses,
  requestHash,
  type App,
} from '@crm/platform';
import { z } from 'zod';
import { authorize } from '../domain/access';
import { CustomerInput, CustomerView } from '../domain/customer.model';
import { resolveCustomer, searchCustomers, viewOf } from '../domain/customer-read.service';
import { eraseCustomer } from '../domain/customer-lifecycle.service';
import { upsertCustomers } from '../domain/customer-write.service';
import { unwrapItem, writeContext, type RouteContext } from './route-context';

export const IdParams = z.object({ id: z.uuid() });
const tags = ['customers'];

const SearchQuery = PageQuery.extend({
  q: SafeText.trim().min(1).max(200).optional(),
  email: Email.optional(),
  phone: Phone.optional(),
  externalSystem: ExternalId.shape.system.optional(),
  externalId: ExternalId.shape.id.optional(),
  role: PartyRole.optional(),
  lifecycleStage: LifecycleStage.optional(),
  dealerId: z.uuid().optional(),
}).refine((q) => (q.externalSystem === undefined) === (q.externalId === undefined), {
  message: 'externalSystem and externalId go together',
  path: ['externalId'],
});

export function customerRoutes(app: App, context: RouteContext): void {
  app.post(
    '/v1/customers',
    {
      schema: {
        operationId: 'createCustomer',
        tags,
        summary: 'Create a customer',
        headers: z.object({ 'idempotency-key': IdempotencyKeyHeader }),
        body: CustomerInput.required({ kind: true }),
        response: { 201: CustomerView, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'write');
      const write = writeContext(context, request.principal);
      const stored = await context.write((trx) =>
        onceForKey(
          trx,
          { scope: idempotencyScope('customers.create', request.principal), key: request.headers['idempotency-key'], hash: requestHash(request.body) },
          async () => {
            const { results, views } = await upsertCustomers(trx, [{ ref: { kind: 'new' }, input: request.body }], write);
            const { id } = unwrapItem(results[0]);
            return { statusCode: 201, body: views.get(id) };
          },
        ),
      );
      const view = stored.body as CustomerView;
      return reply.code(201).header('location', `/v1/customers/${view.id}`).header('etag', etagOf(view.version)).send(view);
    },
  );

  app.get(
    '/v1/customers',
    {
      schema: {
        operationId: 'listCustomers',
        tags,
        summary: 'Search customers',
        description: 'By name prefix/similarity (q), e-mail, phone, external id, role, lifecycle stage or dealer.',
        querystring: SearchQuery,
        response: { 200: pageOf(CustomerView), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      authorize(request.principal, 'read');
      return searchCustomers(context.db, request.query, request.principal, context.trigram);
    },
  );

  app.get(
    '/v1/customers/:id',
    {
      schema: {
        operationId: 'getCustomer',
        tags,
        summary: 'Read a customer (a merged id redirects to the survivor)',
        params: IdParams,
        response: { 200: CustomerView, 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'read');
      const resolved = await resolveCustomer(context.db, request.params.id, request.principal);
      if (resolved.kind === 'moved') return reply.redirect(`/v1/customers/${resolved.survivorId}`, 308);
      const view = await viewOf(context.db, resolved.row.id);
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );

  app.patch(
    '/v1/customers/:id',
    {
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
      authorize(request.principal, 'write');
      const ref = { kind: 'id' as const, id: request.params.id, ifMatch: request.headers['if-match'], requireIfMatch: true };
      const view = await context.write(async (trx) => {
        const { results } = await upsertCustomers(trx, [{ ref, input: request.body }], writeContext(context, request.principal));
        return viewOf(trx, unwrapItem(results[0]).id);
      });
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );

  app.put(
    '/v1/customers/by-external-id/:system/:externalId',
    {
      schema: {
        operationId: 'upsertCustomerByExternalId',
        tags,
        summary: 'Idempotent upsert by an external system id',
        description: 'Creates the customer (201) or applies the fields given (200); If-Match is optional here and checked when sent.',
        params: z.object({ system: ExternalId.shape.system, externalId: ExternalId.shape.id }),
        headers: IfMatchHeaders,
        body: CustomerInput,
        response: { 200: CustomerView, 201: CustomerView, ...problemResponses(400, 401, 403, 409, 410, 412, 422) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'write');
      const externalId = { system: request.params.system, id: request.params.externalId };
      const { status, view } = await context.write(async (trx) => {
        const { results } = await upsertCustomers(trx, [{ ref: { kind: 'external', externalId, ifMatch: request.headers['if-match'] }, input: request.body }], writeContext(context, request.principal));
        const result = unwrapItem(results[0]);
        return { status: result.status, view: await viewOf(trx, result.id) };
      });
      return reply.code(status === 'created' ? 201 : 200).header('etag', etagOf(view.version)).send(view);
    },
  );

  app.delete(
    '/v1/customers/:id',
    {
      schema: {
        operationId: 'eraseCustomer',
        tags,
        summary: 'Erase a customer (GDPR): personal data removed, anonymous tombstone kept',
        params: IdParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'erase');
      await context.write((trx) => eraseCustomer(trx, request.params.id, writeContext(context, request.principal)));
      return reply.code(204).send(null);
    },
  );
}
