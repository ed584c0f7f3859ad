import { etagOf, pageOf, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { SALES_READERS } from '../access';
import { NewQuota, Quota, QuotaListQuery } from './quota.schemas';
import type { QuotaService } from './quota.service';

const tags = ['quotas'];
const setQuotas: AccessRule = { action: 'set quotas', staff: ['admin', 'sales-manager'], dealer: false, integration: false };
const readQuotas: AccessRule = { action: 'read quotas', staff: SALES_READERS, dealer: true, integration: true };

export function quotaRoutes(app: App, quotas: QuotaService): void {
  app.put(
    '/v1/quotas',
    {
      config: { access: setQuotas },
      schema: {
        operationId: 'setQuota',
        tags,
        summary: "Set a period's quota for a rep, team, dealer or product line",
        description:
          'One quota per period × dimension × target: setting it again replaces the amount (201 the first time, 200 after). In the base currency. ' +
          'An admin sets any; a sales manager those of the teams it manages and of their members (403 otherwise).',
        body: NewQuota,
        ...sendsHeaders({ 200: ['ETag'], 201: ['ETag'] }),
        response: { 200: Quota, 201: Quota, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const { quota, created } = await quotas.set(request.principal, request.body);
      return reply.code(created ? 201 : 200).header('etag', etagOf(quota.version)).send(quota);
    },
  );

  app.get(
    '/v1/quotas',
    {
      config: { access: readQuotas },
      schema: {
        operationId: 'listQuotas',
        tags,
        summary: 'Quotas, filtered by period and dimension',
        description: "A rep or manager sees its team's reps' and its teams' quotas, a dealer its own.",
        querystring: QuotaListQuery,
        response: { 200: pageOf(Quota), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => quotas.list(request.principal, request.query),
  );
}
