import { PageQuery, pageOf, problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { IdParams } from '../customers/customers.schemas';
import type { TimelineService } from './timeline.service';
import { TimelineEntry } from './timeline.schemas';

export function timelineRoutes(app: App, { timeline }: { timeline: TimelineService }): void {
  app.get(
    '/v1/customers/:id/timeline',
    {
      config: { access: access.read },
      schema: {
        operationId: 'getCustomerTimeline',
        tags: ['customers'],
        summary: 'Every change and interaction, newest first',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: pageOf(TimelineEntry), 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) },
      },
    },
    async (request, reply) => {
      const found = await timeline.page(request.principal, request.params.id, request.query);
      // GET on a merged id answers 308 to the survivor's same sub-resource.
      if (found.kind === 'moved') return reply.redirect(`/v1/customers/${found.survivorId}/timeline`, 308);
      return found.value;
    },
  );
}
