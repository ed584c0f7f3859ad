import { etagOf, problemResponses, type App } from '@crm/platform';
import { access } from '../access';
import { CustomerView } from '../customers/customers.schemas';
import type { ConsentsService } from './consents.service';
import { ConsentBody, ConsentParams } from './consents.schemas';

export function consentsRoutes(app: App, { consents }: { consents: ConsentsService }): void {
  app.put(
    '/v1/customers/:id/consents/:channel',
    {
      config: { access: access.write },
      schema: {
        operationId: 'recordConsent',
        tags: ['customers'],
        summary: 'Record a consent decision for a channel (history is kept)',
        params: ConsentParams,
        body: ConsentBody,
        response: { 200: CustomerView, ...problemResponses(400, 401, 403, 404, 409, 410) },
      },
    },
    async (request, reply) => {
      const view = await consents.record(request.principal, request.params.id, { channel: request.params.channel, ...request.body });
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );
}
