import { ConsentChannel, SafeDateTime, SafeText } from '@crm/domain';
import { etagOf, IdempotencyKeyHeader, idempotencyScope, onceForKey, PageQuery, pageOf, problemResponses, requestHash, type App } from '@crm/platform';
import { z } from 'zod';
import { authorize, dealerScope, withoutForeignCustomerIds } from '../domain/access';
import { CUSTOMER_FIELDS, ContactInput, ContactView, CustomerView, type CustomerField } from '../domain/customer.model';
import { exportCustomer, findDuplicates, resolveCustomer, timelinePage } from '../domain/customer-read.service';
import { addContact, mergeCustomers, recordConsent } from '../domain/customer-lifecycle.service';
import { IdParams } from './customers.routes';
import { writeContext, type RouteContext } from './route-context';

const tags = ['customers'];
const DuplicateCandidate = z.object({
  customer: CustomerView,
  rules: z.array(z.enum(['email', 'phone', 'name_birthday'])),
  score: z.number(),
});
const MergeBody = z.strictObject({
  duplicateId: z.uuid(),
  /** Per field, which side wins; otherwise the newest non-empty value wins. */
  prefer: z.partialRecord(z.enum(CUSTOMER_FIELDS as [CustomerField, ...CustomerField[]]), z.enum(['survivor', 'duplicate'])).default({}),
});
const ConsentBody = z.strictObject({
  granted: z.boolean(),
  source: SafeText.trim().min(1).max(100),
  recordedAt: SafeDateTime.optional(),
});
const TimelineEntry = z.object({ type: z.string(), source: z.string(), occurredAt: z.string(), data: z.record(z.string(), z.unknown()) });

export function customerRelationRoutes(app: App, context: RouteContext): void {
  /** GET on a merged id answers 308 to the survivor's same sub-resource. */
  const readable = async (id: string, principal: Parameters<typeof resolveCustomer>[2], suffix: string) => {
    const resolved = await resolveCustomer(context.db, id, principal);
    return resolved.kind === 'moved'
      ? ({ redirect: `/v1/customers/${resolved.survivorId}${suffix}` } as const)
      : ({ redirect: undefined, row: resolved.row } as const);
  };

  app.get(
    '/v1/customers/:id/duplicates',
    {
      schema: {
        operationId: 'listCustomerDuplicates',
        tags,
        summary: 'Duplicate candidates by e-mail, phone, or name + birthday, with the rule that matched',
        params: IdParams,
        response: { 200: z.object({ items: z.array(DuplicateCandidate) }), 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'read');
      const found = await readable(request.params.id, request.principal, '/duplicates');
      if (found.redirect) return reply.redirect(found.redirect, 308);
      return { items: await findDuplicates(context.db, found.row, request.principal, context.trigram) };
    },
  );

  app.post(
    '/v1/customers/:id/merge',
    {
      schema: {
        operationId: 'mergeCustomers',
        tags,
        summary: 'Merge a duplicate into this customer (the survivor)',
        params: IdParams,
        body: MergeBody,
        response: { 200: CustomerView, ...problemResponses(400, 401, 403, 404, 409, 410, 422) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'merge');
      const view = await context.write((trx) =>
        mergeCustomers(trx, request.params.id, request.body.duplicateId, request.body.prefer, writeContext(context, request.principal)),
      );
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );

  app.get(
    '/v1/customers/:id/contacts',
    {
      schema: { operationId: 'listContacts', tags, summary: "An organization's contacts with their buying roles", params: IdParams, response: { 200: z.object({ items: z.array(ContactView) }), 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) } },
    },
    async (request, reply) => {
      authorize(request.principal, 'read');
      const found = await readable(request.params.id, request.principal, '/contacts');
      if (found.redirect) return reply.redirect(found.redirect, 308);
      const scope = dealerScope(request.principal);
      let query = context.db.selectFrom('contact').selectAll('contact').where('organization_id', '=', found.row.id);
      // A dealer sees the contacts that are its own customers too, never another dealer's customer's id.
      if (scope) query = query.innerJoin('customer', 'customer.id', 'contact.person_id').where('customer.dealer_id', '=', scope);
      const rows = await query.orderBy('contact.created_at').execute();
      return {
        items: rows.map((c) => ({ id: c.id, organizationId: c.organization_id, personId: c.person_id, buyingRole: c.buying_role as z.infer<typeof ContactView>['buyingRole'], jobTitle: c.job_title, createdAt: new Date(c.created_at).toISOString() })),
      };
    },
  );

  app.post(
    '/v1/customers/:id/contacts',
    {
      schema: {
        operationId: 'createContact',
        tags,
        summary: 'Link a person to this organization with a buying role',
        params: IdParams,
        headers: z.object({ 'idempotency-key': IdempotencyKeyHeader }),
        body: ContactInput,
        response: { 201: ContactView, ...problemResponses(400, 401, 403, 404, 409, 410, 422) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'write');
      const { id } = request.params;
      const stored = await context.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('customers.contact', request.principal), key: request.headers['idempotency-key'], hash: requestHash(id, request.body) }, async () => {
          const contact = await addContact(trx, id, request.body, writeContext(context, request.principal));
          return { statusCode: 201, body: contact };
        }),
      );
      return reply.code(201).send(stored.body as z.infer<typeof ContactView>);
    },
  );

  app.put(
    '/v1/customers/:id/consents/:channel',
    {
      schema: {
        operationId: 'recordConsent',
        tags,
        summary: 'Record a consent decision for a channel (history is kept)',
        params: IdParams.extend({ channel: ConsentChannel }),
        body: ConsentBody,
        response: { 200: CustomerView, ...problemResponses(400, 401, 403, 404, 409, 410) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'write');
      const view = await context.write((trx) =>
        recordConsent(trx, request.params.id, { channel: request.params.channel, ...request.body }, writeContext(context, request.principal)),
      );
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );

  app.get(
    '/v1/customers/:id/timeline',
    {
      schema: {
        operationId: 'getCustomerTimeline',
        tags,
        summary: 'Every change and interaction, newest first',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: pageOf(TimelineEntry), 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'read');
      const found = await readable(request.params.id, request.principal, '/timeline');
      if (found.redirect) return reply.redirect(found.redirect, 308);
      return withoutForeignCustomerIds(context.db, await timelinePage(context.db, found.row.id, request.query.limit, request.query.cursor), request.principal);
    },
  );

  app.get(
    '/v1/customers/:id/export',
    {
      schema: {
        operationId: 'exportCustomer',
        tags,
        summary: 'Everything held on the customer (GDPR access request)',
        params: IdParams,
        response: { 200: z.record(z.string(), z.unknown()), 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'read');
      const found = await readable(request.params.id, request.principal, '/export');
      if (found.redirect) return reply.redirect(found.redirect, 308);
      return withoutForeignCustomerIds(context.db, await exportCustomer(context.db, found.row.id), request.principal);
    },
  );
}
