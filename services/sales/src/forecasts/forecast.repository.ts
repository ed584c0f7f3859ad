import { sql, type RawBuilder } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { SalesScope } from '../ownership/ownership';
import { inScopeWhere } from '../ownership/ownership.repository';

export type GroupBy = 'owner' | 'team' | 'dealer' | 'productLine';

/** One group's sums in the base currency, unrounded (the service rounds). */
export interface ForecastGroupRow {
  key: string | null;
  weighted: string;
  pipeline: string;
  best_case: string;
  commit: string;
  won: string;
  open_count: string;
  won_count: string;
  unconverted: string;
  quota: string | null;
}

export interface SnapshotRow {
  id: string;
  period: string;
  kind: 'manual' | 'weekly';
  as_of: string;
  taken_at: Date;
  taken_by: string;
}

/**
 * The column of a row (`o` an opportunity, `s` a snapshot cell) a grouping keys on, uncast (a cast per row
 * costs): teams key on the owner first and are joined to the few summed cells afterwards (`byTeam`).
 */
const keyOf = (groupBy: GroupBy, alias: string): RawBuilder<unknown> => {
  switch (groupBy) {
    case 'owner':
    case 'team':
      return sql`${sql.ref(`${alias}.owner_subject`)}`;
    case 'dealer':
      return sql`${sql.ref(`${alias}.dealer_id`)}`;
    case 'productLine':
      return sql`${sql.ref(`${alias}.product_line`)}`;
  }
};
/** Owner-keyed sums to team-keyed ones: a rep in several teams counts in each; an opportunity without an owning rep in none. */
const byTeam = (based: RawBuilder<unknown>, groupBy: GroupBy) =>
  groupBy === 'team'
    ? sql`select tm.team_id as key, b.status, b.forecast_category, b.n, b.amount, b.weighted, b.unconverted from (${based}) b join sales.sales_team_member tm on tm.subject = b.key`
    : based;

/** `amount × rate` into the base currency (the base is its own rate); null without a rate. */
const toBase = (amount: RawBuilder<unknown>, baseCurrency: string) => sql`${amount} * case when c.currency = ${baseCurrency} then 1 else fx.rate end`;

/** A cell's opportunities with an amount no rate converts (an opportunity has a currency exactly when it has an amount). */
const unconverted = (baseCurrency: string) => sql`case when c.currency <> ${baseCurrency} and fx.rate is null then c.n else 0 end`;

/** Won opportunities, and only they, are in the `closed` category (open stages are pipeline, best case or commit): grouping by the category alone saves a key. */
const STATUS_OF_CATEGORY = sql`case when o.forecast_category = 'closed' then 'won' else 'open' end`;

/**
 * The period's open and won opportunities in the scope, summed first per (key, currency, category,
 * probability) — one pass, one numeric sum per row, close to a bare GROUP BY (bench:forecast) — and
 * only then converted at the rates and weighted: the exact same sums as converting each row, with far
 * fewer multiplications.
 */
const liveCells = (options: { groupBy: GroupBy; from: string; to: string; scope: SalesScope; baseCurrency: string }) => sql`
  select ${keyOf(options.groupBy, 'o')} as key, o.currency, ${STATUS_OF_CATEGORY} as status, o.forecast_category, o.probability, sum(o.amount) as amount, count(*) as n
  from sales.opportunity o
  where o.close_date between ${options.from}::date and ${options.to}::date and o.status <> 'lost'
    and ${inScopeWhere(options.scope, { owner: 'o.owner_subject', dealer: 'o.dealer_id' })}
  group by 1, 2, o.forecast_category, 5`;

const convertedCells = (cells: RawBuilder<unknown>, baseCurrency: string) => sql`
  select c.key, c.status, c.forecast_category, c.n,
    ${toBase(sql`c.amount`, baseCurrency)} as amount,
    ${toBase(sql`c.amount * c.probability / 100`, baseCurrency)} as weighted,
    ${unconverted(baseCurrency)} as unconverted
  from (${cells}) c
  left join sales.exchange_rate fx on fx.base_currency = ${baseCurrency} and fx.currency = c.currency`;

const snapshotCells = (options: { groupBy: GroupBy; snapshotId: string; scope: SalesScope }) => sql`
  select ${keyOf(options.groupBy, 's')} as key, s.status, s.forecast_category, s.opportunities as n, s.amount, s.weighted, s.unconverted
  from sales.forecast_snapshot_cell s
  where s.snapshot_id = ${options.snapshotId}::uuid and ${inScopeWhere(options.scope, { owner: 's.owner_subject', dealer: 's.dealer_id' })}`;

/** Quotas the scope may see beside its groups: all of them, a rep's team's reps', a dealer's own; else those of its groups. */
const visibleQuota = (scope: SalesScope, groupBy: GroupBy) => {
  if (scope.kind === 'all') return sql`true`;
  if (scope.kind === 'owners' && groupBy === 'owner') return sql`q.target = any(${scope.subjects}::text[])`;
  if (scope.kind === 'dealer' && groupBy === 'dealer') return sql`q.target = ${scope.dealerId}`;
  return sql`q.target in (select key::text from groups where key is not null)`;
};

/** Per key: weighted, per-category and won sums, counts, against the period's quota (one statement). */
const grouped = (options: { based: RawBuilder<unknown>; period: string; groupBy: GroupBy; scope: SalesScope }) => sql<ForecastGroupRow>`
  with based as (${options.based}),
  groups as (
    select key,
      coalesce(sum(weighted) filter (where status = 'open'), 0) as weighted,
      coalesce(sum(amount) filter (where status = 'open' and forecast_category = 'pipeline'), 0) as pipeline,
      coalesce(sum(amount) filter (where status = 'open' and forecast_category = 'best_case'), 0) as best_case,
      coalesce(sum(amount) filter (where status = 'open' and forecast_category = 'commit'), 0) as commit,
      coalesce(sum(amount) filter (where status = 'won'), 0) as won,
      coalesce(sum(n) filter (where status = 'open'), 0) as open_count,
      coalesce(sum(n) filter (where status = 'won'), 0) as won_count,
      coalesce(sum(unconverted), 0) as unconverted
    from based group by key)
  select coalesce(g.key::text, q.target) as key,
    coalesce(g.weighted, 0) as weighted, coalesce(g.pipeline, 0) as pipeline, coalesce(g.best_case, 0) as best_case, coalesce(g.commit, 0) as commit,
    coalesce(g.won, 0) as won, coalesce(g.open_count, 0) as open_count, coalesce(g.won_count, 0) as won_count, coalesce(g.unconverted, 0) as unconverted,
    q.amount as quota
  from groups g
  full join (select q.target, q.amount from sales.quota q where q.period = ${options.period} and q.dimension = ${options.groupBy} and ${visibleQuota(options.scope, options.groupBy)}) q
    on q.target = g.key::text
  order by 1 nulls last`;

/** Every statement of forecasts and their snapshots. */
export const forecastRepository = Object.freeze({
  async live(db: SalesDb, options: { period: string; from: string; to: string; groupBy: GroupBy; scope: SalesScope; baseCurrency: string }): Promise<ForecastGroupRow[]> {
    const based = byTeam(convertedCells(liveCells(options), options.baseCurrency), options.groupBy);
    return (await grouped({ based, period: options.period, groupBy: options.groupBy, scope: options.scope }).execute(db)).rows;
  },

  async fromSnapshot(db: SalesDb, options: { snapshotId: string; period: string; groupBy: GroupBy; scope: SalesScope }): Promise<ForecastGroupRow[]> {
    return (await grouped({ based: byTeam(snapshotCells(options), options.groupBy), period: options.period, groupBy: options.groupBy, scope: options.scope }).execute(db)).rows;
  },

  /** The latest snapshot of the period taken for a day at or before `asOf`. */
  async latestSnapshot(db: SalesDb, period: string, asOf: string): Promise<SnapshotRow | undefined> {
    return db
      .selectFrom('forecast_snapshot')
      .selectAll()
      .where('period', '=', period)
      .where('as_of', '<=', asOf)
      .orderBy('as_of', 'desc')
      .orderBy('taken_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  /**
   * Records a snapshot (a weekly one only once per period and Monday: false when it exists already) and
   * its cells: every open and won opportunity of the period, by owner × dealer × product line × status ×
   * category, in the base currency at today's rates. Set-based: one INSERT … SELECT.
   */
  async takeSnapshot(db: SalesDb, snapshot: SnapshotRow & { from: string; to: string; baseCurrency: string }): Promise<boolean> {
    const inserted = await db
      .insertInto('forecast_snapshot')
      .values({ id: snapshot.id, period: snapshot.period, kind: snapshot.kind, as_of: snapshot.as_of, taken_at: snapshot.taken_at, taken_by: snapshot.taken_by })
      .onConflict((oc) => oc.columns(['period', 'as_of']).where('kind', '=', 'weekly').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return false;
    const cells = sql`
      select o.owner_subject, o.dealer_id, o.product_line, o.currency, ${STATUS_OF_CATEGORY} as status, o.forecast_category, o.probability, sum(o.amount) as amount, count(*) as n
      from sales.opportunity o
      where o.close_date between ${snapshot.from}::date and ${snapshot.to}::date and o.status <> 'lost'
      group by 1, 2, 3, 4, o.forecast_category, 7`;
    await sql`
      insert into sales.forecast_snapshot_cell (snapshot_id, owner_subject, dealer_id, product_line, status, forecast_category, amount, weighted, opportunities, unconverted)
      select ${snapshot.id}::uuid, c.owner_subject, c.dealer_id, c.product_line, c.status, c.forecast_category,
        coalesce(sum(${toBase(sql`c.amount`, snapshot.baseCurrency)}), 0),
        coalesce(sum(${toBase(sql`c.amount * c.probability / 100`, snapshot.baseCurrency)}), 0),
        sum(c.n),
        sum(${unconverted(snapshot.baseCurrency)})
      from (${cells}) c
      left join sales.exchange_rate fx on fx.base_currency = ${snapshot.baseCurrency} and fx.currency = c.currency
      group by 1, 2, 3, 4, 5, 6`.execute(db);
    return true;
  },
});
