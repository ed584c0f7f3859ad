import { calendarDate, Money$, roundToCurrency, SalesOpportunityEvents, type Principal } from '@crm/domain';
import { problem, Problems, type Outbox, type Runtime } from '@crm/platform';
import type { SalesDb } from '../db/tables';
import { forecastRepository, type ForecastGroupRow, type GroupBy, type SnapshotRow } from './forecast.repository';
import type { Forecast, ForecastComparison, ForecastGroup, ForecastSnapshot } from './forecast.schemas';
import { periodDates } from './period';
import { callerScope } from '../ownership/caller-scope';

/** Forecasts by period × owner / team / dealer / product line against quotas, live or from a snapshot. */
export function createForecastService(deps: { db: SalesDb; runtime: Runtime; outbox: Outbox; write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>; baseCurrency: string; timeZone: string }) {
  const { db, runtime, outbox, baseCurrency, timeZone } = deps;
  const money = (value: string) => roundToCurrency(value, baseCurrency);
  const scopeOf = (principal: Principal, executor: SalesDb = db) => callerScope(executor, principal);

  const groupOf = (row: ForecastGroupRow): ForecastGroup => {
    const quota = row.quota === null ? null : money(row.quota);
    return {
      key: row.key,
      weighted: money(row.weighted),
      pipeline: money(row.pipeline),
      bestCase: money(row.best_case),
      commit: money(row.commit),
      won: money(row.won),
      openOpportunities: Number(row.open_count),
      wonOpportunities: Number(row.won_count),
      unconverted: Number(row.unconverted),
      quota,
      attainment: quota === null || new Money$(quota).isZero() ? null : new Money$(row.won).dividedBy(quota).times(100).toFixed(2),
    };
  };
  const snapshotOf = (row: SnapshotRow): ForecastSnapshot => ({ id: row.id, period: row.period, kind: row.kind, asOf: row.as_of, takenAt: row.taken_at.toISOString(), takenBy: row.taken_by });

  const forecast = async (principal: Principal, query: { period: string; groupBy: GroupBy; asOf?: string }): Promise<Forecast> => {
    const { from, to } = periodDates(query.period);
    const scope = await scopeOf(principal);
    let snapshot: SnapshotRow | undefined;
    let rows: ForecastGroupRow[];
    if (query.asOf) {
      snapshot = await forecastRepository.latestSnapshot(db, query.period, query.asOf);
      if (!snapshot) throw problem(Problems.notFound, `no forecast snapshot of ${query.period} was taken on or before ${query.asOf}`);
      rows = await forecastRepository.fromSnapshot(db, { snapshotId: snapshot.id, period: query.period, groupBy: query.groupBy, scope });
    } else {
      rows = await forecastRepository.live(db, { period: query.period, from, to, groupBy: query.groupBy, scope, baseCurrency });
    }
    const taken = snapshot ? snapshotOf(snapshot) : null;
    return {
      period: query.period,
      from,
      to,
      groupBy: query.groupBy,
      currency: baseCurrency,
      snapshot: taken && { id: taken.id, kind: taken.kind, asOf: taken.asOf, takenAt: taken.takenAt },
      groups: rows.map(groupOf),
    };
  };

  /** Stores the period's forecast cells now; a weekly one once per Monday (undefined when it exists already). */
  const take = async (period: string, kind: 'manual' | 'weekly', asOf: string, by: string): Promise<ForecastSnapshot | undefined> =>
    deps.write(async (trx) => {
      const { from, to } = periodDates(period);
      const row: SnapshotRow = { id: runtime.newId(), period, kind, as_of: asOf, taken_at: runtime.now(), taken_by: by };
      if (!(await forecastRepository.takeSnapshot(trx, { ...row, from, to, baseCurrency }))) return undefined;
      await outbox.append(trx, SalesOpportunityEvents.forecastSnapshotTaken, { snapshotId: row.id, period, kind, asOf, takenAt: row.taken_at.toISOString() });
      return snapshotOf(row);
    });

  return Object.freeze({
    forecast,

    async compare(principal: Principal, query: { period: string; groupBy: GroupBy; asOf: string }): Promise<ForecastComparison> {
      const then = await forecast(principal, query);
      const now = await forecast(principal, { period: query.period, groupBy: query.groupBy });
      const keys = [...new Set([...now.groups, ...then.groups].map((g) => g.key))];
      const zero = money('0');
      const minus = (a: string | undefined, b: string | undefined) => money(new Money$(a ?? zero).minus(b ?? zero).toString());
      return {
        period: query.period,
        groupBy: query.groupBy,
        currency: baseCurrency,
        then: then.snapshot,
        groups: keys.map((key) => {
          const a = now.groups.find((g) => g.key === key) ?? null;
          const b = then.groups.find((g) => g.key === key) ?? null;
          return { key, now: a, then: b, change: { weighted: minus(a?.weighted, b?.weighted), commit: minus(a?.commit, b?.commit), won: minus(a?.won, b?.won) } };
        }),
      };
    },

    /** A snapshot of the period as of today (in the sales time zone), for every caller: its cells are unscoped. */
    async snapshot(principal: Principal, period: string): Promise<ForecastSnapshot> {
      return (await take(period, 'manual', calendarDate(runtime.now(), timeZone), `${principal.kind}:${principal.subject}`))!;
    },

    /** The weekly snapshot of a period for the week starting `monday`, unless it was taken already. */
    weekly: (period: string, monday: string) => take(period, 'weekly', monday, 'system:weekly-snapshot'),
  });
}
export type ForecastService = ReturnType<typeof createForecastService>;
