import { IdempotencyKeyHeader, PageQuery, pageOf, problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { ApiClient, CreatedApiClient, NewApiClient } from './api-client.schemas';
import type { ApiClientService } from './api-client.service';

const tags = ['api-clients'];

/** Administering API clients: admin staff only. */
export function apiClientRoutes(app: App, apiClients: ApiClientService): void {
  app.post(
    '/v1/api-clients',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'createApiClient',
        tags,
        summary: 'Register an API client',
        description:
          'Returns its API key, client id and client secret. The key and the secret are shown only here: store them. ' +
          'A dealer client must name an existing dealer (422 `unknown-dealer` otherwise), an account client (an organisation customer\'s user: buyer, approver or viewer) an existing organisation customer (422 `unknown-organization`); the customers service is asked.',
        headers: z.looseObject({ 'idempotency-key': IdempotencyKeyHeader }),
        body: NewApiClient,
        response: { 201: CreatedApiClient, ...problemResponses(400, 401, 403, 409, 422, 502) },
      },
    },
    async (request, reply) => {
      const created = await apiClients.create(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('cache-control', 'no-store').header('location', `/v1/api-clients/${created.id}`).send(created);
    },
  );

  app.get(
    '/v1/api-clients',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'listApiClients',
        tags,
        summary: 'List API clients, revoked ones included',
        querystring: PageQuery,
        response: { 200: pageOf(ApiClient), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => apiClients.list(request.query),
  );

  app.delete(
    '/v1/api-clients/:id',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'revokeApiClient',
        tags,
        summary: 'Revoke an API client',
        description: 'Its API key and client credentials stop working at once, and so do access tokens issued to it.',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null().describe('Revoked (or already revoked)'), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await apiClients.revoke(request.params.id);
      return reply.code(204).send(null);
    },
  );
}
