import { sql, type RawBuilder } from 'kysely';
import { assignedToDealer } from '../customer-projection/customer.repository';
import type { ScoringDb } from '../db/tables';
import type { Dimension } from './reports.schemas';

/** Each dimension's fixed SQL expression over t (transaction), c (customer) and s (customer_score). */
const DIMENSION_SQL = {
  dealer: sql`t.dealer_id::text`,
  channel: sql`t.channel`,
  category: sql`t.category`,
  product: sql`t.product`,
  region: sql`c.region`,
  tier: sql`s.tier`,
  day: sql`to_char(t.occurred_at at time zone 'UTC', 'YYYY-MM-DD')`,
  week: sql`to_char(date_trunc('week', t.occurred_at at time zone 'UTC'), 'IYYY-"W"IW')`,
  month: sql`to_char(t.occurred_at at time zone 'UTC', 'YYYY-MM')`,
} as const satisfies Record<Dimension, RawBuilder<unknown>>;

/** A group of sales: its dimension values (d0, d1, … in groupBy order) and figures as the database returns them. */
export type SalesGroupRow = Record<string, string | null> & { revenue: string; sales: string; average_sale: string | null };

export const reportsRepository = Object.freeze({
  /**
   * Sales summed, counted and averaged per group, in dimension order (nulls last), at most `limit` groups;
   * a dealer's report covers the sales of the customers assigned to it now.
   */
  async salesGroups(db: ScoringDb, query: { groupBy: readonly Dimension[]; from: string; to: string; assignedToDealer?: string | undefined; limit: number }): Promise<SalesGroupRow[]> {
    const dims = query.groupBy;
    const select = sql.join(dims.map((d, i) => sql`${DIMENSION_SQL[d]} as ${sql.ref(`d${i}`)}`));
    const { rows } = await sql<SalesGroupRow>`
      select ${select},
        sum(case when t.type = 'sale' then t.amount_base else -t.amount_base end)::numeric(20, 4)::text as revenue,
        count(*) filter (where t.type = 'sale') as sales,
        (avg(t.amount_base) filter (where t.type = 'sale'))::numeric(20, 4)::text as average_sale
      from scoring.transaction t
        left join scoring.customer c on c.id = t.customer_id
        left join scoring.customer_score s on s.customer_id = t.customer_id
      where t.occurred_at >= ${query.from}::date and t.occurred_at < ${query.to}::date
        ${query.assignedToDealer ? sql`and ${assignedToDealer('t.customer_id', query.assignedToDealer)}` : sql``}
      group by ${sql.join(dims.map((_, i) => sql.ref(`d${i}`)))}
      order by ${sql.join(dims.map((_, i) => sql`${sql.ref(`d${i}`)} nulls last`))}
      limit ${query.limit}`.execute(db);
    return rows;
  },
});
