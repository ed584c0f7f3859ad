import type { Principal } from '@crm/domain';
import { dealerScope, problem, Problems } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { reportsRepository } from './reports.repository';
import type { SalesReport, SalesReportQuery } from './reports.schemas';

/** More groups than this is a 422: the report is for reading, not an export. */
export const MAX_GROUPS = 10_000;

export interface ReportService {
  /**
   * One endpoint instead of "thousands of fixed reports": sales summed, counted and averaged over any
   * combination of the dimensions. Revenue is sales minus returns in the base currency, `sales` counts sale
   * transactions (not returns), the average is that of a sale.
   */
  sales(principal: Principal, query: SalesReportQuery): Promise<SalesReport>;
}

export function createReportService(deps: { db: ScoringDb; baseCurrency: string }): ReportService {
  return {
    async sales(principal, query) {
      const dims = query.groupBy;
      const rows = await reportsRepository.salesGroups(deps.db, { groupBy: dims, from: query.from, to: query.to, assignedToDealer: dealerScope(principal), limit: MAX_GROUPS + 1 });
      if (rows.length > MAX_GROUPS) {
        throw problem(Problems.unprocessable, `more than ${MAX_GROUPS} groups: narrow the date range or group by fewer dimensions`);
      }
      return {
        baseCurrency: deps.baseCurrency,
        groupBy: dims,
        rows: rows.map((row) => ({
          dimensions: Object.fromEntries(dims.map((d, i) => [d, row[`d${i}`] ?? null])),
          revenue: row.revenue,
          sales: Number(row.sales),
          averageSale: row.average_sale,
        })),
      };
    },
  };
}
