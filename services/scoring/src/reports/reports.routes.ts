import { problemResponses, type App } from '@crm/platform';
import { access } from '../access';
import type { ReportService } from './reports.service';
import { SalesReport, SalesReportQuery } from './reports.schemas';

export function reportRoutes(app: App, reports: ReportService): void {
  app.get(
    '/v1/reports/sales',
    {
      config: { access: access.read },
      schema: {
        operationId: 'getSalesReport',
        tags: ['reports'],
        summary: 'Sales by any combination of dealer, channel, category, product, region, tier and day/week/month',
        description: 'Revenue is sales minus returns in the base currency; `from` is inclusive, `to` exclusive (UTC dates). A dealer sees the sales of its customers only (by their current assignment).',
        querystring: SalesReportQuery,
        response: { 200: SalesReport, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request) => reports.sales(request.principal, request.query),
  );
}
