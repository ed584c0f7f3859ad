import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { CustomerScoreTable, ScoringDb } from '../db/tables';

export type CustomerScoreRow = Selectable<CustomerScoreTable>;

/** The CLV predictions of the customers being scored, as parallel arrays (one bound parameter each, for `unnest`). */
export interface PredictionColumns {
  customerId: string[];
  expectedTransactions: (number | null)[];
  pAlive: (number | null)[];
  expectedSpend: (number | null)[];
  clv: (number | null)[];
}

/** What the score computation works on: the scoring time, the RFM window and, for an incremental rescoring, the customers. */
export interface ScoreScope {
  now: Date;
  windowDays: number;
  customerIds?: readonly string[] | undefined;
}

/** How the final write places customers in the differentiation matrix. */
export interface MergeOptions {
  now: Date;
  customerIds?: readonly string[] | undefined;
  /** The active CLV model's version: its CLV is the value; without one, revenue is. */
  modelVersion: number | undefined;
  /** undefined: the median of the base. */
  valueThreshold: number | undefined;
  needsThreshold: number;
}

/**
 * customer_score and the set-based statements that compute it (see score-computation.service.ts for
 * the definitions): the values into a temporary table, the CLV predictions into a second, then one MERGE.
 */
export const scoresRepository = Object.freeze({
  async findByCustomer(db: ScoringDb, customerId: string): Promise<CustomerScoreRow | undefined> {
    return db.selectFrom('customer_score').selectAll().where('customer_id', '=', customerId).executeTakeFirst();
  },

  /** Step 1: historical value, RFM quintiles and needs diversity per customer, into `score_calc` (dropped at commit). */
  async computeValues(trx: ScoringDb, { now, windowDays, customerIds }: ScoreScope): Promise<void> {
    const at = now.toISOString();
    const only = (column: string) => (customerIds ? sql`and ${sql.ref(column)} = any(${[...customerIds]}::uuid[])` : sql``);
    const since = sql`(${at}::timestamptz - make_interval(days => ${windowDays}))`;
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
  },

  /** Step 2: the CLV predictions into `clv_calc` (dropped at commit); both temporary tables are analysed. */
  async storePredictions(trx: ScoringDb, predicted: PredictionColumns): Promise<void> {
    await sql`
      create temporary table clv_calc on commit drop as
      select * from unnest(${predicted.customerId}::uuid[], ${predicted.expectedTransactions}::float8[], ${predicted.pAlive}::float8[],
        ${predicted.expectedSpend}::float8[], ${predicted.clv}::float8[]) as p(customer_id, expected_transactions, p_alive, expected_spend, clv)`.execute(trx);
    // Temporary tables have no statistics until analysed; without them the planner guesses badly for the merge.
    await sql`analyze score_calc, clv_calc`.execute(trx);
  },

  /** Step 3: one MERGE into customer_score, with the quadrant; returns how many customers were computed. */
  async mergeScores(trx: ScoringDb, { now, customerIds, modelVersion, valueThreshold, needsThreshold }: MergeOptions): Promise<number> {
    const at = now.toISOString();
    const hasModel = modelVersion !== undefined;
    // Value of the differentiation matrix: CLV with an active model, revenue without.
    const valueOf = (clv: RawBuilder<unknown>, revenue: RawBuilder<unknown>) => (hasModel ? sql`coalesce(${clv}, 0)` : revenue);
    const computedClv = sql`round(p.clv::numeric, 4)`;
    const computedValue = valueOf(computedClv, sql`n.revenue`);
    // The median over the whole base: the rows computed now, and for an incremental rescoring everybody else's stored ones.
    const threshold =
      valueThreshold !== undefined
        ? sql`${valueThreshold}::numeric`
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
          ${hasModel ? sql`case when p.customer_id is not null then ${modelVersion}::int end` : sql`null::int`} as clv_model_version,
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
    return Number(rows[0]?.computed ?? 0);
  },

  /** Erased or merged-away customers lose their scores (on a full run). */
  async deleteWithoutCustomer(trx: ScoringDb): Promise<void> {
    await sql`delete from scoring.customer_score s where not exists (select 1 from scoring.customer c where c.id = s.customer_id)`.execute(trx);
  },
});
