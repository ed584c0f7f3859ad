import { etagOf, problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { CustomerView, IdParams } from '../customers/customers.schemas';
import type { DuplicatesService } from './duplicates.service';
import { DuplicateList, MatchAnswer, MatchRequest, MAX_MATCH_ITEMS, MergeBody } from './duplicates.schemas';

const tags = ['customers'];

export function duplicatesRoutes(app: App, { duplicates }: { duplicates: DuplicatesService }): void {
  app.post(
    '/v1/customers/matches',
    {
      config: { access: access.read },
      schema: {
        operationId: 'matchCustomers',
        tags,
        summary: `Which customers hold these e-mail addresses or phone numbers (up to ${MAX_MATCH_ITEMS} at once)`,
        description:
          'For deduplication elsewhere (a lead about a known customer): e-mails are compared normalised, phones as E.164; ' +
          'only active customers match, a dealer only its own. Nothing but ids comes back.',
        body: MatchRequest,
        response: { 200: MatchAnswer, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => duplicates.matches(request.principal, request.body),
  );

  app.get(
    '/v1/customers/:id/duplicates',
    {
      config: { access: access.read },
      schema: {
        operationId: 'listCustomerDuplicates',
        tags,
        summary: 'Duplicate candidates by e-mail, phone, or name + birthday, with the rule that matched',
        params: IdParams,
        response: { 200: DuplicateList, 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) },
      },
    },
    async (request, reply) => {
      const found = await duplicates.candidates(request.principal, request.params.id);
      // GET on a merged id answers 308 to the survivor's same sub-resource.
      if (found.kind === 'moved') return reply.redirect(`/v1/customers/${found.survivorId}/duplicates`, 308);
      return found.value;
    },
  );

  app.post(
    '/v1/customers/:id/merge',
    {
      config: { access: access.merge },
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
      const view = await duplicates.merge(request.principal, request.params.id, request.body.duplicateId, request.body.prefer);
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );
}
