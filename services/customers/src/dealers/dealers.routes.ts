import { etagOf, IdempotencyKeyHeader, IfMatchHeaders, PageQuery, pageOf, problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import type { DealersService } from './dealers.service';
import { Dealer, DealerChanges, DealerInput, DealerParams } from './dealers.schemas';

const tags = ['dealers'];

export function dealersRoutes(app: App, { dealers }: { dealers: DealersService }): void {
  app.post(
    '/v1/dealers',
    {
      config: { access: access.administer },
      schema: { operationId: 'createDealer', tags, summary: 'Create a dealer', headers: z.object({ 'idempotency-key': IdempotencyKeyHeader }), body: DealerInput, response: { 201: Dealer, ...problemResponses(400, 401, 403, 409, 422) } },
    },
    async (request, reply) => {
      const dealer = await dealers.create(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/dealers/${dealer.id}`).header('etag', etagOf(dealer.version)).send(dealer);
    },
  );

  app.get(
    '/v1/dealers',
    {
      config: { access: access.read },
      schema: { operationId: 'listDealers', tags, summary: 'List dealers', querystring: PageQuery, response: { 200: pageOf(Dealer), ...problemResponses(400, 401, 403) } },
    },
    async (request) => dealers.list(request.principal, request.query),
  );

  app.get(
    '/v1/dealers/:id',
    {
      config: { access: access.read },
      schema: { operationId: 'getDealer', tags, summary: 'Read a dealer', params: DealerParams, response: { 200: Dealer, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const dealer = await dealers.get(request.principal, request.params.id);
      return reply.header('etag', etagOf(dealer.version)).send(dealer);
    },
  );

  app.patch(
    '/v1/dealers/:id',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'updateDealer',
        tags, summary: 'Change a dealer (If-Match required)', params: DealerParams,
        headers: IfMatchHeaders, body: DealerChanges,
        response: { 200: Dealer, ...problemResponses(400, 401, 403, 404, 409, 412, 428) },
      },
    },
    async (request, reply) => {
      const dealer = await dealers.update(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(dealer.version)).send(dealer);
    },
  );
}
