import { SafeDate } from '@crm/domain';
import { z } from 'zod';

/** What sales can be grouped by; each maps to a fixed SQL expression (reports.repository.ts): input never becomes SQL. */
export const DIMENSIONS = ['dealer', 'channel', 'category', 'product', 'region', 'tier', 'day', 'week', 'month'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
const TIME_DIMENSIONS: readonly Dimension[] = ['day', 'week', 'month'];

export const SalesReportQuery = z
  .object({
    groupBy: z
      .string()
      .transform((value) => value.split(',').map((d) => d.trim()))
      .pipe(z.array(z.enum(DIMENSIONS)).min(1).max(4))
      .refine((dims) => new Set(dims).size === dims.length, 'names a dimension twice')
      .refine((dims) => dims.filter((d) => TIME_DIMENSIONS.includes(d)).length <= 1, 'takes at most one of day, week, month'),
    from: SafeDate,
    to: SafeDate,
  })
  .refine((q) => q.from < q.to, { message: 'must be after from (from is inclusive, to exclusive)', path: ['to'] });
export type SalesReportQuery = z.infer<typeof SalesReportQuery>;

export const SalesReport = z
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
export type SalesReport = z.infer<typeof SalesReport>;
