import { problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { SalesReportQuery, salesReport } from '../domain/reports/sales-report.service';
import type { ScoringRouteContext } from './route-context';

const SalesReport = z
  .object({
    baseCurrency: z.string(),
    groupBy: z.array(z.string()),
    rows: z.array(
      z.object({
        dimensions: z.record(z.string(), z.string().nullable()),
        revenue: z.string(),
        sales: z.number().int(),
        averageSale: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'SalesReport' });

export function reportRoutes(app: App, context: ScoringRouteContext): void {
  app.get(
    '/v1/reports/sales',
    { config: { access: access.read },
      schema: {
        operationId: 'getSalesReport',
        tags: ['reports'],
        summary: 'Sales by any combination of dealer, channel, category, product, region, tier and day/week/month',
        description: 'Revenue is sales minus returns in the base currency; `from` is inclusive, `to` exclusive (UTC dates). A dealer sees the sales of its customers only (by their current assignment).',
        querystring: SalesReportQuery,
        response: { 200: SalesReport, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const rows = await salesReport(context.db, request.query, request.principal);
      return { baseCurrency: context.config.SCORING_BASE_CURRENCY, groupBy: request.query.groupBy, rows };
    },
  );
}
