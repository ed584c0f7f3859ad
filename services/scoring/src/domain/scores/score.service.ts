import { sql, type RawBuilder } from 'kysely';
import { allowLongStatements } from '@crm/platform';
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
 * 1. One aggregation over the transactions into a temporary table:
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
 *    predictions in TS in one pass, into a second temporary table (one `unnest` of parallel arrays).
 * 3. One MERGE into customer_score, with the quadrant of the differentiation matrix: value (CLV with an
 *    active model, revenue without) above the threshold (default the median over customers with a sale) ×
 *    needs_diversity above its threshold: one_to_one (high/high), loyalty (high value/low needs), niche
 *    (low/high), mass (low/low); NULL without any sale. Only new rows and rows with a changed value are
 *    written, so `scored_at` is when a customer's scores last changed; a run that confirms them leaves
 *    the row alone (the run resource says when it ran).
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
 * written and only their CLV is predicted. Returns the number of customers scored.
 */
export async function recomputeScores(trx: ScoringDb, options: RecomputeOptions): Promise<{ scored: number }> {
  const { now, windowDays, customerIds } = options;
  const at = now.toISOString();
  const only = (column: string) => (customerIds ? sql`and ${sql.ref(column)} = any(${[...customerIds]}::uuid[])` : sql``);
  const since = sql`(${at}::timestamptz - make_interval(days => ${windowDays}))`;
  // Reads the whole window's transactions even for a few customers (the quintiles are the base's).
  await allowLongStatements(trx);

  // Computed into temporary tables first (no WAL, dropped at commit), so each score row is written once below.
  await sql`drop table if exists pg_temp.score_calc, pg_temp.clv_calc`.execute(trx);
  await sql`
    create temporary table score_calc on commit drop as
    -- Two scans of the covering index (customer_id, occurred_at) include (type, amount_base, category), each
    -- already in customer order: one for the values per customer, one for the sales per category.
    with agg as (
      select t.customer_id,
        sum(case when t.type = 'sale' then t.amount_base else -t.amount_base end) as revenue,
        count(*) filter (where t.type = 'sale') as order_count,
        min(t.occurred_at) filter (where t.type = 'sale') as first_purchase_at,
        max(t.occurred_at) filter (where t.type = 'sale') as last_purchase_at,
        max(t.occurred_at) filter (where t.type = 'sale' and t.occurred_at > ${since}) as last_in_window,
        count(*) filter (where t.type = 'sale' and t.occurred_at > ${since}) as frequency_w,
        coalesce(sum(case when t.type = 'sale' then t.amount_base else -t.amount_base end) filter (where t.occurred_at > ${since}), 0) as monetary_w
      from scoring.transaction t
      where t.customer_id is not null and t.occurred_at <= ${at}::timestamptz ${only('t.customer_id')}
      group by t.customer_id
    ), per_category as (
      select t.customer_id, count(*)::float8 as sales
      from scoring.transaction t
      where t.customer_id is not null and t.type = 'sale' and t.occurred_at <= ${at}::timestamptz ${only('t.customer_id')}
      -- Byte order ("C") groups the same categories as the database collation, and sorts far faster.
      group by t.customer_id, t.category collate "C"
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
        select w.customer_id, w.frequency_w, w.monetary_w,
          floor(extract(epoch from (${at}::timestamptz - w.last_in_window)) / 86400)::int as recency_days
        from window_values w join scoring.customer c on c.id = w.customer_id
        where w.frequency_w > 0
      ) w
    ), needs as (
      select customer_id,
        case when count(*) = 1 then 0::float8
          else -sum((n / total) * ln(n / total)) / ln(count(*)::float8) end as diversity
      from (select customer_id, sales as n, sum(sales) over (partition by customer_id) as total from per_category) p
      group by customer_id
    )
    select c.id as customer_id, rfm.r::smallint as recency, rfm.f::smallint as frequency, rfm.m::smallint as monetary,
      rfm.r::text || rfm.f::text || rfm.m::text as rfm_cell,
      coalesce(agg.revenue, 0) as revenue, coalesce(agg.order_count, 0)::int as order_count,
      agg.first_purchase_at, agg.last_purchase_at,
      case when agg.order_count > 0 then round(agg.revenue / agg.order_count, 4) end as average_order_value,
      -- greatest/least skip NULLs: keep NULL (no sale) as NULL; the clamp only removes float noise.
      case when needs.diversity is not null then least(greatest(needs.diversity, 0), 1) end as needs_diversity
    from scoring.customer c
    left join agg on agg.customer_id = c.id
    left join rfm on rfm.customer_id = c.id
    left join needs on needs.customer_id = c.id
    where true ${only('c.id')}`.execute(trx);

  const model = await activeClvModel(trx);
  const predicted = model ? await predictClv(trx, model, options) : predictionColumns([]);
  await sql`
    create temporary table clv_calc on commit drop as
    select * from unnest(${predicted.customerId}::uuid[], ${predicted.expectedTransactions}::float8[], ${predicted.pAlive}::float8[],
      ${predicted.expectedSpend}::float8[], ${predicted.clv}::float8[]) as p(customer_id, expected_transactions, p_alive, expected_spend, clv)`.execute(trx);
  // Temporary tables have no statistics until analysed; without them the planner guesses badly for the merge.
  await sql`analyze score_calc, clv_calc`.execute(trx);

  // Value of the differentiation matrix: CLV with an active model, revenue without.
  const valueOf = (clv: RawBuilder<unknown>, revenue: RawBuilder<unknown>) => (model ? sql`coalesce(${clv}, 0)` : revenue);
  const computedClv = sql`round(p.clv::numeric, 4)`;
  const computedValue = valueOf(computedClv, sql`n.revenue`);
  const needsThreshold = options.needsThreshold ?? 0.5;
  // The median over the whole base: the rows computed now, and for an incremental rescoring everybody else's stored ones.
  const threshold =
    options.valueThreshold !== undefined
      ? sql`${options.valueThreshold}::numeric`
      : sql`(select percentile_cont(0.5) within group (order by v)::numeric from (
          select ${computedValue} as v from score_calc n left join clv_calc p using (customer_id) where n.needs_diversity is not null
          union all
          select ${valueOf(sql`s.clv`, sql`s.revenue`)} from scoring.customer_score s
          where s.needs_diversity is not null and ${customerIds ? sql`not (s.customer_id = any(${[...customerIds]}::uuid[]))` : sql`false`}) base)`;
  const columns = [
    'recency', 'frequency', 'monetary', 'rfm_cell', 'revenue', 'order_count', 'first_purchase_at', 'last_purchase_at', 'average_order_value',
    'clv', 'expected_transactions', 'p_alive', 'expected_spend', 'clv_model_version', 'needs_diversity', 'quadrant',
  ];
  // One MERGE: a score row is written only when it is new or one of its values changed (scored_at then says
  // when they last changed); unchanged rows are neither rewritten nor locked.
  await sql`
    merge into scoring.customer_score s
    using (
      select n.customer_id, n.recency, n.frequency, n.monetary, n.rfm_cell, n.revenue, n.order_count, n.first_purchase_at,
        n.last_purchase_at, n.average_order_value,
        ${computedClv} as clv, p.expected_transactions, p.p_alive, round(p.expected_spend::numeric, 4) as expected_spend,
        ${model ? sql`case when p.customer_id is not null then ${model.version}::int end` : sql`null::int`} as clv_model_version,
        n.needs_diversity,
        case when n.needs_diversity is null then null
          when ${computedValue} > t.value and n.needs_diversity > ${needsThreshold} then 'one_to_one'
          when ${computedValue} > t.value then 'loyalty'
          when n.needs_diversity > ${needsThreshold} then 'niche'
          else 'mass' end as quadrant
      from score_calc n left join clv_calc p using (customer_id) cross join (select ${threshold} as value) t
    ) n on s.customer_id = n.customer_id
    when matched and (${sql.join(columns.map((c) => sql.ref(`s.${c}`)))}) is distinct from (${sql.join(columns.map((c) => sql.ref(`n.${c}`)))}) then
      update set ${sql.join(columns.map((c) => sql`${sql.ref(c)} = ${sql.ref(`n.${c}`)}`))}, scored_at = ${at}::timestamptz
    when not matched then
      insert (customer_id, ${sql.join(columns.map((c) => sql.ref(c)))}, scored_at)
      values (n.customer_id, ${sql.join(columns.map((c) => sql.ref(`n.${c}`)))}, ${at}::timestamptz)`.execute(trx);
  const { rows } = await sql<{ computed: string }>`select count(*)::text as computed from score_calc`.execute(trx);
  if (!customerIds) {
    // Erased or merged-away customers lose their scores on a full run.
    await sql`delete from scoring.customer_score s where not exists (select 1 from scoring.customer c where c.id = s.customer_id)`.execute(trx);
  }
  return { scored: Number(rows[0]?.computed ?? 0) };
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

async function predictClv(trx: ScoringDb, model: ActiveClvModel, options: RecomputeOptions) {
  const { horizonDays, discountRate, periodDays } = options.clv ?? DEFAULT_CLV;
  const perUnit = DAYS_PER[model.timeUnit];
  const clvOptions = { horizon: horizonDays / perUnit, discountRate, periodLength: periodDays / perUnit };
  const today = options.now.toISOString().slice(0, 10);
  const summaries = await calibrationSummaries(trx, today, model.timeUnit, options.customerIds);
  return predictionColumns(summaries.map((customer) => predictOne(model, customer, clvOptions)));
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

type Prediction = ReturnType<typeof predictOne>;

/** Predictions as parallel arrays, one bound parameter each, for `unnest`. */
function predictionColumns(rows: Prediction[]) {
  return {
    customerId: rows.map((row) => row.customer_id),
    expectedTransactions: rows.map((row) => row.expected_transactions),
    pAlive: rows.map((row) => row.p_alive),
    expectedSpend: rows.map((row) => row.expected_spend),
    clv: rows.map((row) => row.clv),
  };
}

const finite = (value: number | null): number | null => (value !== null && Number.isFinite(value) ? value : null);
