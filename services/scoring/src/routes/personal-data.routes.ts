import { dealerScope, problem, problemResponses, Problems, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { personalDataOf } from '../domain/personal-data.service';
import type { ScoringRouteContext } from './route-context';

/**
 * Scoring's section of a customer's export. Internal: the gateway's `GET /v1/customers/{id}/export` asks
 * for it after the customers service allowed the export (the path is declared as `personalData` in the
 * gateway's routing table, and no public prefix routes it here).
 */
export function personalDataRoutes(app: App, context: ScoringRouteContext): void {
  app.get(
    '/v1/customers/:id/personal-data',
    { config: { access: access.read },
      schema: {
        operationId: 'getCustomerPersonalData',
        tags: ['gdpr'],
        summary: "Everything scoring holds on a customer: projection, transactions, scores, tier history and override, segments (the export's scoring section)",
        description: 'A dealer sees only its own customers (others are 404).',
        params: z.object({ id: z.uuid() }),
        response: { 200: z.record(z.string(), z.unknown()), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const scope = dealerScope(request.principal);
      if (scope) {
        const customer = await context.db.selectFrom('customer').select('dealer_id').where('id', '=', id).executeTakeFirst();
        if (customer?.dealer_id !== scope) throw problem(Problems.notFound, `customer ${id} does not exist`);
      }
      return reply.header('cache-control', 'no-store').send(await personalDataOf(context.db, id));
    },
  );
}
