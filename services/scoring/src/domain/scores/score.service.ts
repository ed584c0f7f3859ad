import { sql } from 'kysely';
import type { ScoringDb } from '../../db/scoring.repository';
import {
  bgNbdExpectedTransactions,
  bgNbdLifetimeValue,
  bgNbdProbabilityAlive,
  gammaGammaExpectedSpend,
  type BgNbdParams,
  type ClvOptions,
  type GammaGammaParams,
  type TimeUnit,
} from '../clv';
import { calibrationSummaries, type CustomerCalibration } from './clv-summaries.query';
import type { ScoreSettings } from './score.settings';

export interface RecomputeOptions {
  now: Date;
  windowDays: number;
  /** Only these customers' rows are (re)written; quintiles and thresholds still come from the whole base. */
  customerIds?: readonly string[];
  /** Value threshold of the differentiation matrix; undefined: the median of the base. */
  valueThreshold?: number;
  /** needs_diversity threshold of the differentiation matrix (default 0.5). */
  needsThreshold?: number;
  clv?: { horizonDays: number; discountRate: number; periodDays: number };
}

export interface ActiveClvModel {
  version: number;
  timeUnit: TimeUnit;
  bgNbd: BgNbdParams;
  gammaGamma: GammaGammaParams | null;
}

const DAYS_PER: Record<TimeUnit, number> = { days: 1, weeks: 7 };
const WRITE_CHUNK = 10_000;
const DEFAULT_CLV = { horizonDays: 365, discountRate: 0.01, periodDays: 30 };

/** The options a run takes from the settings. */
export function recomputeOptionsOf(settings: ScoreSettings, now: Date): RecomputeOptions {
  return {
    now,
    windowDays: settings.SCORING_RFM_WINDOW_DAYS,
    ...(settings.SCORING_VALUE_THRESHOLD !== undefined ? { valueThreshold: settings.SCORING_VALUE_THRESHOLD } : {}),
    needsThreshold: settings.SCORING_NEEDS_THRESHOLD,
    clv: { horizonDays: settings.SCORING_CLV_HORIZON_DAYS, discountRate: settings.SCORING_CLV_DISCOUNT_RATE, periodDays: settings.SCORING_CLV_PERIOD_DAYS },
  };
}

export async function activeClvModel(db: ScoringDb): Promise<ActiveClvModel | undefined> {
  const row = await db.selectFrom('clv_model').select(['version', 'time_unit', 'bg_nbd', 'gamma_gamma']).where('active', '=', true).executeTakeFirst();
  return row && { version: row.version, timeUnit: row.time_unit, bgNbd: row.bg_nbd, gammaGamma: row.gamma_gamma };
}

/**
 * (Re)writes `scoring.customer_score` for every customer of `scoring.customer`, or only the given ones,
 * from the transactions that occurred up to `now`, in three set-based steps (call inside a transaction):
 *
 * 1. One INSERT … ON CONFLICT from one aggregation over the transactions:
 *    - historical value over all time: revenue = sales − returns (amount_base), order count = sale
 *      transactions, first/last sale, average order value = revenue / order count;
 *    - RFM over the window (now − windowDays, now]: recency = whole days since the last sale in the window,
 *      frequency = sales in the window, monetary = net amount (sales − returns) in the window, each turned
 *      into a quintile 1–5 (5 = most recent / most frequent / highest spend) over the customers with a sale
 *      in the window; others get NULL quintiles and cell;
 *    - needs_diversity = normalised Shannon entropy (Pielou's evenness) of the customer's sales over
 *      categories (a missing category counts as one category of its own): −Σ p·ln p / ln k for k > 1
 *      categories, 0 for one category, NULL without any sale.
 * 2. CLV columns from the active clv_model: calibration summaries aggregated in SQL up to now's UTC day,
 *    predictions in TS in one pass, written back in chunks of 10,000 with jsonb_to_recordset.
 * 3. Quadrant of the differentiation matrix: value (CLV with an active model, revenue without) above the
 *    threshold (default the median over customers with a sale) × needs_diversity above its threshold:
 *    one_to_one (high/high), loyalty (high value/low needs), niche (low/high), mass (low/low); NULL
 *    without any sale.
 *
 * Tie rule of the quintiles: `ntile(5) over (order by value, customer_id)`: customers are sorted by the
 * value and, among equal values, by customer id; ntile then cuts the sorted list into five groups whose
 * sizes differ by at most one. Equal values can therefore straddle a quintile border (with many customers
 * at frequency 1, some land in quintile 1 and some in 2). Chosen over rank-based buckets that keep ties
 * together because those make groups of very uneven size on skewed data (frequency is mostly 1 or 2 and
 * would collapse into one or two quintiles), and because the id order makes the split deterministic and
 * reproducible from run to run.
 *
 * With `customerIds` the quintiles and the median are still those of the whole base (the aggregation reads
 * every customer's window: one pass over the window's transactions), but only those customers' rows are
 * written and only their CLV is predicted. Returns the number of rows written.
 */
export async function recomputeScores(trx: ScoringDb, options: RecomputeOptions): Promise<{ scored: number }> {
  const { now, windowDays, customerIds } = options;
  const at = now.toISOString();
  const only = (column: string) => (customerIds ? sql`and ${sql.ref(column)} = any(${[...customerIds]}::uuid[])` : sql``);
  const since = sql`(${at}::timestamptz - make_interval(days => ${windowDays}))`;

  const written = await sql<{ customer_id: string }>`
    insert into scoring.customer_score as s (customer_id, recency, frequency, monetary, rfm_cell, revenue, order_count,
      first_purchase_at, last_purchase_at, average_order_value, clv, expected_transactions, p_alive, expected_spend,
      needs_diversity, quadrant, scored_at)
    -- One scan of the transactions, aggregated per (customer, category) first; everything else rolls up
    -- from those far fewer rows.
    with per_category as (
      select t.customer_id,
        sum(case when t.type = 'sale' then t.amount_base else -t.amount_base end) as net,
        count(*) filter (where t.type = 'sale') as sales,
        min(t.occurred_at) filter (where t.type = 'sale') as first_sale,
        max(t.occurred_at) filter (where t.type = 'sale') as last_sale,
        max(t.occurred_at) filter (where t.type = 'sale' and t.occurred_at > ${since}) as last_in_window,
        count(*) filter (where t.type = 'sale' and t.occurred_at > ${since}) as sales_w,
        coalesce(sum(case when t.type = 'sale' then t.amount_base else -t.amount_base end) filter (where t.occurred_at > ${since}), 0) as net_w
      from scoring.transaction t
      where t.customer_id is not null and t.occurred_at <= ${at}::timestamptz ${only('t.customer_id')}
      group by t.customer_id, t.category
    ), agg as (
      select customer_id,
        sum(net) as revenue,
        sum(sales) as order_count,
        min(first_sale) as first_purchase_at,
        max(last_sale) as last_purchase_at,
        max(last_in_window) as last_in_window,
        sum(sales_w) as frequency_w,
        sum(net_w) as monetary_w
      from per_category group by customer_id
    ), window_values as (
      -- Quintiles rank every customer of the base, also when only some rows are written.
      ${customerIds ? sql`select t.customer_id,
          max(t.occurred_at) filter (where t.type = 'sale') as last_in_window,
          count(*) filter (where t.type = 'sale') as frequency_w,
          sum(case when t.type = 'sale' then t.amount_base else -t.amount_base end) as monetary_w
        from scoring.transaction t
        where t.customer_id is not null and t.occurred_at > ${since} and t.occurred_at <= ${at}::timestamptz
        group by t.customer_id` : sql`select customer_id, last_in_window, frequency_w, monetary_w from agg`}
    ), rfm as (
      select customer_id,
        ntile(5) over (order by recency_days desc, customer_id) as r,
        ntile(5) over (order by frequency_w, customer_id) as f,
        ntile(5) over (order by monetary_w, customer_id) as m
      from (
        select customer_id, frequency_w, monetary_w,
          floor(extract(epoch from (${at}::timestamptz - last_in_window)) / 86400)::int as recency_days
        from window_values w
        where frequency_w > 0 and exists (select 1 from scoring.customer c where c.id = w.customer_id)
      ) w
    ), needs as (
      select customer_id,
        case when count(*) = 1 then 0::float8
          else -sum((n / total) * ln(n / total)) / ln(count(*)::float8) end as diversity
      from (select customer_id, sales::float8 as n, sum(sales) over (partition by customer_id)::float8 as total from per_category where sales > 0) p
      group by customer_id
    )
    select c.id, rfm.r, rfm.f, rfm.m, rfm.r::text || rfm.f::text || rfm.m::text,
      coalesce(agg.revenue, 0), coalesce(agg.order_count, 0), agg.first_purchase_at, agg.last_purchase_at,
      case when agg.order_count > 0 then round(agg.revenue / agg.order_count, 4) end,
      null, null, null, null,
      -- greatest/least skip NULLs: keep NULL (no sale) as NULL; the clamp only removes float noise.
      case when needs.diversity is not null then least(greatest(needs.diversity, 0), 1) end, null, ${at}::timestamptz
    from scoring.customer c
    left join agg on agg.customer_id = c.id
    left join rfm on rfm.customer_id = c.id
    left join needs on needs.customer_id = c.id
    where true ${only('c.id')}
    on conflict (customer_id) do update set
      recency = excluded.recency, frequency = excluded.frequency, monetary = excluded.monetary, rfm_cell = excluded.rfm_cell,
      revenue = excluded.revenue, order_count = excluded.order_count, first_purchase_at = excluded.first_purchase_at,
      last_purchase_at = excluded.last_purchase_at, average_order_value = excluded.average_order_value,
      clv = null, expected_transactions = null, p_alive = null, expected_spend = null,
      needs_diversity = excluded.needs_diversity, quadrant = null, scored_at = excluded.scored_at
    returning s.customer_id`.execute(trx);
  if (!customerIds) {
    // Erased or merged-away customers lose their scores on a full run.
    await sql`delete from scoring.customer_score s where not exists (select 1 from scoring.customer c where c.id = s.customer_id)`.execute(trx);
  }

  const model = await activeClvModel(trx);
  if (model) await predictClv(trx, model, options);
  await assignQuadrants(trx, model !== undefined, options);
  return { scored: written.rows.length };
}

/**
 * Incremental rescoring after an ingest chunk: the affected customers' rows are recomputed exactly as a
 * full run would (historical value, window values placed among the CURRENT values of the whole base,
 * needs, CLV, quadrant); nobody else's row is written. The other customers' quintiles are left as the
 * last full run made them, so they may drift by a place until the next nightly run; that is the trade:
 * rewriting one million rows per ingest chunk is not. Cost per call: one pass over the window's
 * transactions (to rank the affected customers) plus work proportional to the affected customers.
 */
export async function rescoreCustomers(trx: ScoringDb, customerIds: readonly string[], options: Omit<RecomputeOptions, 'customerIds'>): Promise<{ scored: number }> {
  if (customerIds.length === 0) return { scored: 0 };
  return recomputeScores(trx, { ...options, customerIds: [...new Set(customerIds)] });
}

async function predictClv(trx: ScoringDb, model: ActiveClvModel, options: RecomputeOptions): Promise<void> {
  const { horizonDays, discountRate, periodDays } = options.clv ?? DEFAULT_CLV;
  const perUnit = DAYS_PER[model.timeUnit];
  const clvOptions = { horizon: horizonDays / perUnit, discountRate, periodLength: periodDays / perUnit };
  const today = options.now.toISOString().slice(0, 10);
  const summaries = await calibrationSummaries(trx, today, model.timeUnit, options.customerIds);
  const rows = summaries.map((customer) => predictOne(model, customer, clvOptions));
  for (let start = 0; start < rows.length; start += WRITE_CHUNK) {
    await sql`
      update scoring.customer_score s set
        expected_transactions = r.expected_transactions, p_alive = r.p_alive,
        expected_spend = round(r.expected_spend::numeric, 4), clv = round(r.clv::numeric, 4),
        clv_model_version = ${model.version}
      from jsonb_to_recordset(${JSON.stringify(rows.slice(start, start + WRITE_CHUNK))}::jsonb)
        as r(customer_id uuid, expected_transactions float8, p_alive float8, expected_spend float8, clv float8)
      where s.customer_id = r.customer_id`.execute(trx);
  }
}

/**
 * One customer's predictions. A model that does not fit a customer's history (a hypergeometric series that
 * does not converge for extreme parameters) leaves that customer's predictions empty instead of failing the run.
 */
function predictOne(model: ActiveClvModel, customer: CustomerCalibration, clvOptions: ClvOptions) {
  try {
    const spend = model.gammaGamma ? gammaGammaExpectedSpend(model.gammaGamma, customer) : null;
    return {
      customer_id: customer.customerId,
      expected_transactions: finite(bgNbdExpectedTransactions(model.bgNbd, customer, clvOptions.horizon)),
      p_alive: finite(bgNbdProbabilityAlive(model.bgNbd, customer)),
      expected_spend: finite(spend),
      clv: finite(spend === null ? null : bgNbdLifetimeValue(model.bgNbd, customer, spend, clvOptions)),
    };
  } catch {
    return { customer_id: customer.customerId, expected_transactions: null, p_alive: null, expected_spend: null, clv: null };
  }
}

async function assignQuadrants(trx: ScoringDb, withClv: boolean, options: RecomputeOptions): Promise<void> {
  const value = withClv ? sql`coalesce(s.clv, 0)` : sql`s.revenue`;
  const threshold =
    options.valueThreshold !== undefined
      ? sql`${options.valueThreshold}::numeric`
      : sql`(select percentile_cont(0.5) within group (order by ${value})::numeric from scoring.customer_score s where s.needs_diversity is not null)`;
  const only = options.customerIds ? sql`and s.customer_id = any(${[...options.customerIds]}::uuid[])` : sql``;
  await sql`
    update scoring.customer_score s set quadrant = case
        when ${value} > t.value and s.needs_diversity > ${options.needsThreshold ?? 0.5} then 'one_to_one'
        when ${value} > t.value then 'loyalty'
        when s.needs_diversity > ${options.needsThreshold ?? 0.5} then 'niche'
        else 'mass' end
    from (select ${threshold} as value) t
    where s.needs_diversity is not null ${only}`.execute(trx);
}

const finite = (value: number | null): number | null => (value !== null && Number.isFinite(value) ? value : null);
