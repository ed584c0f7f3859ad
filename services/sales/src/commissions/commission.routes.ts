import { etagOf, IfMatchHeaders, pageOf, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { z } from 'zod';
import { administer } from '../access';
import { CommissionPlan, CommissionStatement, NewCommissionPlan, PlanListQuery, StatementQuery } from './commission.schemas';
import type { CommissionService } from './commission.service';

const readPlans: AccessRule = { action: 'read commission plans', staff: ['admin', 'finance'], dealer: false, integration: true };
/** Which payee's statement a caller may read is checked against the payee (404 otherwise). */
const readStatements: AccessRule = { action: 'read commission statements', staff: ['admin', 'finance', 'sales', 'sales-manager'], dealer: true, integration: true };
const Params = z.object({ id: z.uuid() });
const tags = ['commissions'];

export function commissionRoutes(app: App, commissions: CommissionService): void {
  app.post(
    '/v1/commission-plans',
    {
      config: { access: administer },
      schema: {
        operationId: 'createCommissionPlan',
        tags,
        summary: 'Create a commission plan',
        description:
          "Rates per product category (else the tier's default), tiers by the payee's cumulative base in the month (marginal: the part above a threshold earns the higher rate), " +
          "split between the order's rep and its dealer. Every order placed while the plan is active, by a rep or dealer it names, accrues commission lines in the same transaction; " +
          'a return or cancellation claws back the returned share in the month it happens.',
        body: NewCommissionPlan,
        ...sendsHeaders({ 201: ['Location', 'ETag'] }),
        response: { 201: CommissionPlan, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const plan = await commissions.createPlan(request.body);
      return reply.code(201).header('location', `/v1/commission-plans/${plan.id}`).header('etag', etagOf(plan.version)).send(plan);
    },
  );

  app.get(
    '/v1/commission-plans',
    { config: { access: readPlans }, schema: { operationId: 'listCommissionPlans', tags, summary: 'Commission plans', querystring: PlanListQuery, response: { 200: pageOf(CommissionPlan), ...problemResponses(400, 401, 403) } } },
    async (request) => commissions.plans(request.query),
  );

  app.get(
    '/v1/commission-plans/:id',
    {
      config: { access: readPlans },
      schema: { operationId: 'getCommissionPlan', tags, summary: 'A commission plan', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: CommissionPlan, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const plan = await commissions.plan(request.params.id);
      return reply.header('etag', etagOf(plan.version)).send(plan);
    },
  );

  app.put(
    '/v1/commission-plans/:id',
    {
      config: { access: administer },
      schema: {
        operationId: 'replaceCommissionPlan',
        tags,
        summary: 'Replace a commission plan',
        description: 'Applies to orders placed from now on; lines already booked keep the rate they were booked at.',
        params: Params,
        headers: IfMatchHeaders,
        body: NewCommissionPlan,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: CommissionPlan, ...problemResponses(400, 401, 403, 404, 412, 428) },
      },
    },
    async (request, reply) => {
      const plan = await commissions.replacePlan(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(plan.version)).send(plan);
    },
  );

  app.get(
    '/v1/commission-statements',
    {
      config: { access: readStatements },
      schema: {
        operationId: 'getCommissionStatement',
        tags,
        summary: "A payee's commission statement for a month, every line explained",
        description:
          "A rep reads its own, a manager its teams' reps', a dealer its own, admin and finance anyone's (404 for any other payee). " +
          "Each line names its order and line, category, base in the plan's currency, rate, tier and split; clawbacks are negative and dated in the month of the return. " +
          'Lines of orders in a currency that could not be converted are `unconverted` and carry no amount.',
        querystring: StatementQuery,
        response: { 200: CommissionStatement, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => commissions.statement(request.principal, request.query),
  );
}
