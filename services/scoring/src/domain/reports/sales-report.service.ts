import { dealerScope, problem, Problems } from '@crm/platform';
import { SafeDate, type Principal } from '@crm/domain';
import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import type { ScoringDb } from '../../db/scoring.repository';
import { assignedToDealer } from '../access';

/**
 * One endpoint instead of "thousands of fixed reports": sales summed, counted and averaged over any
 * combination of these dimensions. Each maps to a fixed SQL expression; input never becomes SQL.
 */
const DIMENSIONS = {
  dealer: sql`t.dealer_id::text`,
  channel: sql`t.channel`,
  category: sql`t.category`,
  product: sql`t.product`,
  region: sql`c.region`,
  tier: sql`s.tier`,
  day: sql`to_char(t.occurred_at at time zone 'UTC', 'YYYY-MM-DD')`,
  week: sql`to_char(date_trunc('week', t.occurred_at at time zone 'UTC'), 'IYYY-"W"IW')`,
  month: sql`to_char(t.occurred_at at time zone 'UTC', 'YYYY-MM')`,
} as const satisfies Record<string, RawBuilder<unknown>>;
export type Dimension = keyof typeof DIMENSIONS;
const TIME_DIMENSIONS: readonly Dimension[] = ['day', 'week', 'month'];
export const MAX_GROUPS = 10_000;

export const SalesReportQuery = z
  .object({
    groupBy: z
      .string()
      .transform((value) => value.split(',').map((d) => d.trim()))
      .pipe(z.array(z.enum(Object.keys(DIMENSIONS) as [Dimension, ...Dimension[]])).min(1).max(4))
      .refine((dims) => new Set(dims).size === dims.length, 'names a dimension twice')
      .refine((dims) => dims.filter((d) => TIME_DIMENSIONS.includes(d)).length <= 1, 'takes at most one of day, week, month'),
    from: SafeDate,
    to: SafeDate,
  })
  .refine((q) => q.from < q.to, { message: 'must be after from (from is inclusive, to exclusive)', path: ['to'] });
export type SalesReportQuery = z.infer<typeof SalesReportQuery>;

export interface SalesReportRow {
  dimensions: Partial<Record<Dimension, string | null>>;
  /** Sales minus returns, in the base currency. */
  revenue: string;
  /** Sale transactions (returns are not counted). */
  sales: number;
  /** Average sale amount in the base currency. */
  averageSale: string | null;
}

export async function salesReport(db: ScoringDb, query: SalesReportQuery, principal: Principal): Promise<SalesReportRow[]> {
  const scope = dealerScope(principal);
  const dims = query.groupBy;
  const select = sql.join(dims.map((d, i) => sql`${DIMENSIONS[d]} as ${sql.ref(`d${i}`)}`));
  const { rows } = await sql<Record<string, string | null> & { revenue: string; sales: string; average_sale: string | null }>`
    select ${select},
      sum(case when t.type = 'sale' then t.amount_base else -t.amount_base end)::numeric(20, 4)::text as revenue,
      count(*) filter (where t.type = 'sale') as sales,
      (avg(t.amount_base) filter (where t.type = 'sale'))::numeric(20, 4)::text as average_sale
    from scoring.transaction t
      left join scoring.customer c on c.id = t.customer_id
      left join scoring.customer_score s on s.customer_id = t.customer_id
    where t.occurred_at >= ${query.from}::date and t.occurred_at < ${query.to}::date
      ${scope ? sql`and ${assignedToDealer('t.customer_id', scope)}` : sql``}
    group by ${sql.join(dims.map((_, i) => sql.ref(`d${i}`)))}
    order by ${sql.join(dims.map((_, i) => sql`${sql.ref(`d${i}`)} nulls last`))}
    limit ${MAX_GROUPS + 1}`.execute(db);
  if (rows.length > MAX_GROUPS) {
    throw problem(Problems.unprocessable, `more than ${MAX_GROUPS} groups: narrow the date range or group by fewer dimensions`);
  }
  return rows.map((row) => ({
    dimensions: Object.fromEntries(dims.map((d, i) => [d, row[`d${i}`] ?? null])),
    revenue: row.revenue,
    sales: Number(row.sales),
    averageSale: row.average_sale,
  }));
}
