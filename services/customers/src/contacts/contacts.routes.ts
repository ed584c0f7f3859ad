import { IdempotencyKeyHeader, problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { IdParams } from '../customers/customers.schemas';
import type { ContactsService } from './contacts.service';
import { ContactInput, ContactList, ContactView } from './contacts.schemas';

const tags = ['customers'];

export function contactsRoutes(app: App, { contacts }: { contacts: ContactsService }): void {
  app.get(
    '/v1/customers/:id/contacts',
    {
      config: { access: access.read },
      schema: { operationId: 'listContacts', tags, summary: "An organization's contacts with their buying roles", params: IdParams, response: { 200: ContactList, 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) } },
    },
    async (request, reply) => {
      const found = await contacts.list(request.principal, request.params.id);
      // GET on a merged id answers 308 to the survivor's same sub-resource.
      if (found.kind === 'moved') return reply.redirect(`/v1/customers/${found.survivorId}/contacts`, 308);
      return found.value;
    },
  );

  app.post(
    '/v1/customers/:id/contacts',
    {
      config: { access: access.write },
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
      const contact = await contacts.add(request.principal, request.params.id, request.body, request.headers['idempotency-key']);
      return reply.code(201).send(contact);
    },
  );
}
