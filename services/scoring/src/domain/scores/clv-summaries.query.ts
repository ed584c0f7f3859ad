import { sql } from 'kysely';
import type { ScoringDb } from '../../db/scoring.repository';
import type { TimeUnit } from '../clv';

/** One customer's BG/NBD calibration summary and Gamma-Gamma spend input, as domain/clv defines them. */
export interface CustomerCalibration {
  customerId: string;
  x: number;
  tx: number;
  T: number;
  /** Mean of the repeat purchase days' sale totals (base currency); 0 when x = 0. */
  meanValue: number;
}

const DAYS_PER: Record<TimeUnit, number> = { days: 1, weeks: 7 };

/**
 * Calibration summaries for every known customer with a sale on or before `calibrationEnd` (a UTC
 * calendar day), or only the given customers: the per-day aggregation runs in PostgreSQL (one row
 * per customer comes back), matching `calibrationSummary` / `calibrationSpendSummary`: a calendar
 * day (UTC) with sales is one transaction, x = distinct days − 1, t_x = last − first day,
 * T = calibration end − first day, spend = mean of the day totals of the repeat days.
 */
export async function calibrationSummaries(
  db: ScoringDb,
  calibrationEnd: string,
  unit: TimeUnit,
  customerIds?: readonly string[],
): Promise<CustomerCalibration[]> {
  const only = customerIds ? sql`and t.customer_id = any(${[...customerIds]}::uuid[])` : sql``;
  const { rows } = await sql<{ customer_id: string; x: number; tx_days: number; t_days: number; repeat_total: number }>`
    with days as (
      select t.customer_id, (t.occurred_at at time zone 'UTC')::date as day, sum(t.amount_base) as total
      from scoring.transaction t
      join scoring.customer c on c.id = t.customer_id
      where t.type = 'sale' and t.occurred_at < (${calibrationEnd}::date + 1)::timestamp at time zone 'UTC' ${only}
      group by 1, 2
    ), firsts as (
      select customer_id, day, total, min(day) over (partition by customer_id) as first_day from days
    )
    select customer_id,
      (count(*) - 1)::int as x,
      (max(day) - min(day))::int as tx_days,
      (${calibrationEnd}::date - min(day))::int as t_days,
      coalesce(sum(total) filter (where day > first_day), 0)::float8 as repeat_total
    from firsts
    group by customer_id`.execute(db);
  const perUnit = DAYS_PER[unit];
  return rows.map((r) => ({
    customerId: r.customer_id,
    x: r.x,
    tx: r.tx_days / perUnit,
    T: r.t_days / perUnit,
    meanValue: r.x === 0 ? 0 : r.repeat_total / r.x,
  }));
}
