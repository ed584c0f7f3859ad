import { problemResponses, type App } from '@crm/platform';
import { SALES_READERS } from '../access';
import { CustomerParams, SalesPersonalData } from './personal-data.schemas';
import type { PersonalDataService } from './personal-data.service';

const readPersonalData = { action: 'read what sales holds on a customer', staff: SALES_READERS, dealer: true, integration: true };

/**
 * Sales' section of a customer's export. Internal: the gateway's `GET /v1/customers/{id}/export` asks for it
 * after the customers service allowed the export (declared as `personalData` in the gateway's routing table;
 * no public prefix routes it here).
 */
export function personalDataRoutes(app: App, personalData: PersonalDataService): void {
  app.get(
    '/v1/customers/:id/personal-data',
    {
      config: { access: readPersonalData },
      schema: {
        operationId: 'getCustomerSalesData',
        tags: ['gdpr'],
        summary: "Everything sales holds on a customer (the export's sales section)",
        description: 'A dealer sees only its own customers (others are 404).',
        params: CustomerParams,
        response: { 200: SalesPersonalData, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.header('cache-control', 'no-store').send(await personalData.ofCustomer(request.principal, request.params.id)),
  );
}
