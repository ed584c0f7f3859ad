import { problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { IdParams } from '../customers/customers.schemas';
import type { PersonalDataService } from './personal-data.service';
import { CustomerRecordExport } from './personal-data.schemas';

const tags = ['customers'];

export function personalDataRoutes(app: App, { personalData }: { personalData: PersonalDataService }): void {
  app.get(
    '/v1/customers/:id/export',
    {
      config: { access: access.read },
      schema: {
        operationId: 'exportCustomer',
        tags,
        summary: 'Everything held on the customer (GDPR access request)',
        params: IdParams,
        response: { 200: CustomerRecordExport, 308: z.null(), ...problemResponses(400, 401, 403, 404, 410) },
      },
    },
    async (request, reply) => {
      const found = await personalData.export(request.principal, request.params.id);
      // GET on a merged id answers 308 to the survivor's same sub-resource.
      if (found.kind === 'moved') return reply.redirect(`/v1/customers/${found.survivorId}/export`, 308);
      return found.value;
    },
  );

  app.delete(
    '/v1/customers/:id',
    {
      config: { access: access.erase },
      schema: {
        operationId: 'eraseCustomer',
        tags,
        summary: 'Erase a customer (GDPR): personal data removed, anonymous tombstone kept',
        params: IdParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await personalData.erase(request.principal, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
