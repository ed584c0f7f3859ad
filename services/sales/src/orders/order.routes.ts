import { etagOf, IdempotencyKeyHeader, pageOf, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { z } from 'zod';
import { SALES_READERS, SALES_STAFF } from '../access';
import { CancelOrder, NewOrder, NewReturn, Order, OrderListQuery } from './order.schemas';
import type { OrderService } from './order.service';

const placeOrders: AccessRule = { action: 'place orders', staff: SALES_STAFF, dealer: true, integration: true, account: ['buyer'] };
const readOrders: AccessRule = { action: 'read orders', staff: SALES_READERS, dealer: true, integration: true, account: ['buyer', 'approver', 'viewer'] };
const changeOrders: AccessRule = { action: 'cancel or return orders', staff: SALES_STAFF, dealer: true, integration: true, account: ['buyer'] };
const Params = z.object({ id: z.uuid() });
const tags = ['orders'];

export function orderRoutes(app: App, orders: OrderService): void {
  app.post(
    '/v1/orders',
    {
      config: { access: placeOrders },
      schema: {
        operationId: 'placeOrder',
        tags,
        summary: 'Place an order, priced from the applicable price books',
        description:
          "Each line is priced as `GET /v1/prices` would answer (the customer's negotiated book first), less its discount, in exact decimals rounded to the currency. " +
          'The placed order is an event the scoring service books as sales: the customer\'s scores and tier move within seconds. ' +
          'An inactive or unknown product, or one nothing prices in the currency, is a 422 and nothing is written. Idempotency-Key makes a retry return the same order.',
        headers: z.looseObject({ 'idempotency-key': IdempotencyKeyHeader }),
        body: NewOrder,
        ...sendsHeaders({ 201: ['Location', 'ETag'] }),
        response: { 201: Order, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { order } = await orders.place(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/orders/${order.id}`).header('etag', etagOf(order.version)).send(order);
    },
  );

  app.get(
    '/v1/orders',
    {
      config: { access: readOrders },
      schema: {
        operationId: 'listOrders',
        tags,
        summary: 'Orders, newest first',
        description: "A rep sees its own and its team's, a dealer its own, an account user its organisation's.",
        querystring: OrderListQuery,
        response: { 200: pageOf(Order), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => orders.list(request.principal, request.query),
  );

  app.get(
    '/v1/orders/:id',
    { config: { access: readOrders }, schema: { operationId: 'getOrder', tags, summary: 'An order with its lines and returns', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: Order, ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      const order = await orders.get(request.principal, request.params.id);
      return reply.header('etag', etagOf(order.version)).send(order);
    },
  );

  app.post(
    '/v1/orders/:id/cancel',
    {
      config: { access: changeOrders },
      schema: {
        operationId: 'cancelOrder',
        tags,
        summary: 'Cancel a placed order without returns',
        description: 'Scoring books the cancellation as the return of every line (409 when the order is cancelled already or has returns).',
        params: Params,
        body: CancelOrder,
        response: { 200: Order, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => orders.cancel(request.principal, request.params.id, request.body.reason),
  );

  app.post(
    '/v1/orders/:id/returns',
    {
      config: { access: changeOrders },
      schema: {
        operationId: 'returnOrderLines',
        tags,
        summary: 'Return quantities of an order\'s lines',
        description: 'Each returned quantity takes its share of the line\'s net amount; no more than remains of a line can be returned (422).',
        params: Params,
        body: NewReturn,
        response: { 201: Order, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await orders.returnLines(request.principal, request.params.id, request.body)),
  );
}
