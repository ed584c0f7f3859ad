import { dealerScope, problem, problemResponses, Problems, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { survivorLocation } from './merged-customer';
import type { ScoringRouteContext } from './route-context';

const tags = ['scores'];
const Quintile = z.number().int().min(1).max(5).nullable();

const CustomerScores = z
  .object({
    customerId: z.uuid(),
    rfm: z.object({ recency: Quintile, frequency: Quintile, monetary: Quintile, cell: z.string().nullable() }).describe('quintiles 1–5 over the RFM window (5 = best); null without a sale in the window'),
    historical: z.object({
      revenue: z.string().describe('sales − returns, base currency'),
      orderCount: z.number().int(),
      firstPurchaseAt: z.string().nullable(),
      lastPurchaseAt: z.string().nullable(),
      averageOrderValue: z.string().nullable(),
    }),
    predicted: z.object({
      expectedTransactions: z.number().nullable().describe('BG/NBD expected purchases over the CLV horizon'),
      pAlive: z.number().nullable(),
      churnRisk: z.number().nullable().describe('1 − P(alive)'),
      expectedSpend: z.string().nullable().describe('Gamma-Gamma expected spend per purchase'),
      clv: z.string().nullable(),
      modelVersion: z.number().int().nullable().describe('the CLV model version that made these predictions'),
    }),
    needsDiversity: z.number().nullable(),
    quadrant: z.enum(['one_to_one', 'loyalty', 'niche', 'mass']).nullable(),
    tier: z.string().nullable(),
    scoredAt: z.string().nullable().describe('when these scores last changed (a run that finds them unchanged leaves them as they are); null: not scored yet'),
  })
  .meta({ id: 'CustomerScores' });

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function scoreRoutes(app: App, context: ScoringRouteContext): void {
  app.get(
    '/v1/customers/:id/scores',
    { config: { access: access.read },
      schema: {
        operationId: 'getCustomerScores',
        tags,
        summary: "A customer's scores: RFM, historical and predicted value, needs, quadrant, tier",
        description: 'A dealer sees only its own customers (others are 404). A merged-away id answers 308 to its survivor.',
        params: z.object({ id: z.uuid() }),
        response: { 200: CustomerScores, 308: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const moved = await survivorLocation(context.db, request.principal, id, request.url);
      if (moved) return reply.redirect(moved, 308);
      const customer = await context.db.selectFrom('customer').select(['id', 'dealer_id']).where('id', '=', id).executeTakeFirst();
      const scope = dealerScope(request.principal);
      if (!customer || (scope && customer.dealer_id !== scope)) throw problem(Problems.notFound, `customer ${id} does not exist`);
      const score = await context.db.selectFrom('customer_score').selectAll().where('customer_id', '=', id).executeTakeFirst();
      return {
        customerId: id,
        rfm: { recency: score?.recency ?? null, frequency: score?.frequency ?? null, monetary: score?.monetary ?? null, cell: score?.rfm_cell ?? null },
        historical: {
          revenue: score?.revenue ?? '0',
          orderCount: score?.order_count ?? 0,
          firstPurchaseAt: iso(score?.first_purchase_at ?? null),
          lastPurchaseAt: iso(score?.last_purchase_at ?? null),
          averageOrderValue: score?.average_order_value ?? null,
        },
        predicted: {
          expectedTransactions: score?.expected_transactions ?? null,
          pAlive: score?.p_alive ?? null,
          churnRisk: score?.p_alive == null ? null : 1 - score.p_alive,
          expectedSpend: score?.expected_spend ?? null,
          clv: score?.clv ?? null,
          modelVersion: score?.clv_model_version ?? null,
        },
        needsDiversity: score?.needs_diversity ?? null,
        quadrant: (score?.quadrant ?? null) as z.infer<typeof CustomerScores>['quadrant'],
        tier: score?.tier ?? null,
        scoredAt: iso(score?.scored_at ?? null),
      };
    },
  );
}
