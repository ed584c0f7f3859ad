/**
 * pnpm bench:forecast — the forecast over 1,000,000 opportunities ÷ a bare `GROUP BY` over the same rows
 * (goal ≤ 2), for each grouping (owner, team, dealer, product line).
 *
 * The forecast is the service's own statement (forecastRepository.live: weighted, per-category and won
 * sums, currency conversion at the projected exchange rates, joined to the quotas); the baseline is
 * `select key, sum(amount) from sales.opportunity where close_date in the period group by key` on the
 * same rows (with the same team join when grouping by team). Every opportunity closes in the forecast
 * period, so both read all of them. Rows are made by one INSERT … SELECT (setup, not measured): 500 reps
 * in 50 teams, 50 dealers, 12 product lines, CNY/USD/EUR, open, won and lost in every stage.
 * BENCH_OPPORTUNITIES scales it (default 1,000,000). Each figure is the median of BENCH_RUNS (default 5)
 * after one warm-up. Needs the local PostgreSQL (DATABASE_URL); creates and drops its own database.
 */
import { migrateToLatest, openDatabase } from '../packages/platform/src';
import pg from 'pg';
import { salesMigrations } from '../services/sales/src/db/migrations';
import type { SalesDb } from '../services/sales/src/db/tables';
import { forecastRepository, type GroupBy } from '../services/sales/src/forecasts/forecast.repository';
import { periodDates } from '../services/sales/src/forecasts/period';
import { secondsSince, withScratchDatabase, runBenchmark } from './support';

const OPPORTUNITIES = Number(process.env.BENCH_OPPORTUNITIES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PERIOD = '2026-Q4';
const BASE = 'CNY';
const PIPELINE = '00000000-0000-4000-8000-000000000001';

/** Pipeline, rates, teams, quotas and the opportunities, set-based (constants only: no input reaches the SQL). */
const SEED = [
  `insert into sales.pipeline (id, name, channel, is_default, created_at, updated_at) values ('${PIPELINE}', 'Direct', 'direct', true, now(), now())`,
  `insert into sales.pipeline_stage (pipeline_id, key, name, position, kind, probability, forecast_category) values
    ('${PIPELINE}', 'qualify', 'Qualify', 1, 'open', 10, 'pipeline'), ('${PIPELINE}', 'propose', 'Propose', 2, 'open', 40, 'best_case'),
    ('${PIPELINE}', 'negotiate', 'Negotiate', 3, 'open', 80, 'commit'), ('${PIPELINE}', 'won', 'Won', 4, 'won', 100, 'closed'), ('${PIPELINE}', 'lost', 'Lost', 5, 'lost', 0, 'omitted')`,
  `insert into sales.exchange_rate (base_currency, currency, rate, version, set_at) values ('${BASE}', 'USD', 7.1, 1, now()), ('${BASE}', 'EUR', 7.8, 1, now())`,
  `insert into sales.sales_team (id, name, product_lines, created_at, updated_at)
    select ('00000000-0000-4000-9000-' || lpad(to_hex(t), 12, '0'))::uuid, 'Team ' || t, '{}', now(), now() from generate_series(0, 49) t`,
  `insert into sales.sales_team_member (team_id, subject, role, capacity)
    select ('00000000-0000-4000-9000-' || lpad(to_hex(r % 50), 12, '0'))::uuid, 'rep-' || r, 'rep', null from generate_series(0, 499) r`,
  `insert into sales.quota (id, period, dimension, target, amount, set_at, set_by)
    select gen_random_uuid(), '${PERIOD}', 'owner', 'rep-' || r, 5000000, now(), 'bench' from generate_series(0, 499) r`,
  // Stage by (i / 500) % 10 so every rep has all: 3 qualify, 2 propose, 2 negotiate, 2 won, 1 lost; a third of them a dealer's.
  `insert into sales.opportunity (id, customer_id, name, pipeline_id, stage_key, status, probability, forecast_category, amount, currency,
      close_date, owner_subject, dealer_id, product_line, lead_id, close_reason, competitor, closed_at, created_at, created_by, updated_at)
    select gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad(to_hex(i % 200000), 12, '0'))::uuid, 'Opportunity ' || i, '${PIPELINE}',
      s.key, s.status, s.probability, s.category,
      ((i::bigint * 7919) % 5000000)::numeric / 100 + 100, (array['CNY', 'CNY', 'CNY', 'USD', 'EUR'])[1 + (i / 7) % 5],
      date '2026-10-01' + (i % 92), 'rep-' || (i % 500),
      case when i % 3 = 0 then ('00000000-0000-4000-a000-' || lpad(to_hex(i % 50), 12, '0'))::uuid end,
      'line-' || (i % 12), null, null, null, case when s.status <> 'open' then now() end, now(), 'bench', now()
    from generate_series(1, ${OPPORTUNITIES}) i
    join (values (0, 'qualify', 'open', 10, 'pipeline'), (1, 'qualify', 'open', 10, 'pipeline'), (2, 'qualify', 'open', 10, 'pipeline'),
                 (3, 'propose', 'open', 40, 'best_case'), (4, 'propose', 'open', 40, 'best_case'), (5, 'negotiate', 'open', 80, 'commit'),
                 (6, 'negotiate', 'open', 80, 'commit'), (7, 'won', 'won', 100, 'closed'), (8, 'won', 'won', 100, 'closed'), (9, 'lost', 'lost', 0, 'omitted'))
      as s(slot, key, status, probability, category) on s.slot = (i / 500) % 10`,
  'vacuum analyze',
];

const BARE_KEY: Record<GroupBy, string> = { owner: 'o.owner_subject', team: 'tm.team_id', dealer: 'o.dealer_id', productLine: 'o.product_line' };

/** The baseline: one plain sum per key over the same rows (and the same team join). */
async function bareGroupBy(client: pg.Client, groupBy: GroupBy, from: string, to: string) {
  const join = groupBy === 'team' ? 'join sales.sales_team_member tm on tm.subject = o.owner_subject' : '';
  return (await client.query(`select ${BARE_KEY[groupBy]} as key, sum(o.amount) from sales.opportunity o ${join} where o.close_date between $1::date and $2::date group by 1`, [from, to])).rowCount;
}

async function median(work: () => Promise<unknown>): Promise<number> {
  await work();
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    await work();
    times.push(secondsSince(start));
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

async function main() {
  await withScratchDatabase('crm_bench_forecast', async (url) => {
    const db = openDatabase({ kind: 'postgres', url, poolSize: 1 });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await migrateToLatest(db, salesMigrations);
      const seedStart = process.hrtime.bigint();
      for (const statement of SEED) await client.query(statement);
      console.log(`opportunities: ${OPPORTUNITIES}${OPPORTUNITIES < 1_000_000 ? ' (scaled down from 1,000,000)' : ''}, seeded in ${secondsSince(seedStart).toFixed(1)} s`);
      const sales = db.withSchema('sales') as unknown as SalesDb;
      const { from, to } = periodDates(PERIOD);
      for (const groupBy of ['owner', 'team', 'dealer', 'productLine'] as const) {
        let groups = 0;
        const forecastSeconds = await median(async () => {
          groups = (await forecastRepository.live(sales, { period: PERIOD, from, to, groupBy, scope: { kind: 'all' }, baseCurrency: BASE })).length;
        });
        const bareSeconds = await median(() => bareGroupBy(client, groupBy, from, to));
        console.log(`forecast ${PERIOD} by ${groupBy} (${groups} groups): ${(forecastSeconds * 1000).toFixed(0)} ms; bare GROUP BY: ${(bareSeconds * 1000).toFixed(0)} ms; ratio ${(forecastSeconds / bareSeconds).toFixed(2)} (goal <= 2)`);
      }
    } finally {
      await client.end();
      await db.destroy();
    }
  });
}

runBenchmark(main);
