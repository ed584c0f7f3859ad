import { problemResponses, type App } from '@crm/platform';
import { access } from '../access';
import type { PersonalDataService } from './personal-data.service';
import { CustomerParams, CustomerPersonalData } from './personal-data.schemas';

/**
 * Scoring's section of a customer's export. Internal: the gateway's `GET /v1/customers/{id}/export` asks
 * for it after the customers service allowed the export (the path is declared as `personalData` in the
 * gateway's routing table, and no public prefix routes it here).
 */
export function personalDataRoutes(app: App, personalData: PersonalDataService): void {
  app.get(
    '/v1/customers/:id/personal-data',
    {
      config: { access: access.read },
      schema: {
        operationId: 'getCustomerPersonalData',
        tags: ['gdpr'],
        summary: "Everything scoring holds on a customer: projection, transactions, scores, tier history and override, segments (the export's scoring section)",
        description: 'A dealer sees only its own customers (others are 404).',
        params: CustomerParams,
        response: { 200: CustomerPersonalData, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.header('cache-control', 'no-store').send(await personalData.ofCustomer(request.principal, request.params.id)),
  );
}
