import { sql, type Selectable } from 'kysely';
import type { ClvModelTable, ScoringDb } from '../db/tables';
import type { BgNbdParams } from './bg-nbd.model';
import type { TimeUnit } from './calibration.summary';
import type { GammaGammaParams } from './gamma-gamma.model';

export type ClvModelRow = Selectable<ClvModelTable>;

/** One customer's BG/NBD calibration summary and Gamma-Gamma spend input, as the CLV math defines them. */
export interface CustomerCalibration {
  customerId: string;
  x: number;
  tx: number;
  T: number;
  /** Mean of the repeat purchase days' sale totals (base currency); 0 when x = 0. */
  meanValue: number;
}

/** The model predictions use: its version and parameters. */
export interface ActiveClvModel {
  version: number;
  timeUnit: TimeUnit;
  bgNbd: BgNbdParams;
  gammaGamma: GammaGammaParams | null;
}

/** A fitted model version, as stored. */
export interface NewClvModel {
  id: string;
  version: number;
  active: boolean;
  calibrationEnd: string;
  timeUnit: TimeUnit;
  bgNbd: BgNbdParams;
  gammaGamma: GammaGammaParams | null;
  logLikelihood: number;
  sampleSize: number;
  fittedAt: string;
}

const DAYS_PER: Record<TimeUnit, number> = { days: 1, weeks: 7 };

/** The CLV models and the calibration data they are fitted on. */
export const clvRepository = Object.freeze({
  /**
   * Calibration summaries for every known customer with a sale on or before `calibrationEnd` (a UTC
   * calendar day), or only the given customers: the per-day aggregation runs in PostgreSQL (one row
   * per customer comes back), matching `calibrationSummary` / `calibrationSpendSummary`: a calendar
   * day (UTC) with sales is one transaction, x = distinct days − 1, t_x = last − first day,
   * T = calibration end − first day, spend = mean of the day totals of the repeat days.
   */
  async calibrationSummaries(db: ScoringDb, calibrationEnd: string, unit: TimeUnit, customerIds?: readonly string[]): Promise<CustomerCalibration[]> {
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
  },

  /** The highest version so far (0 before the first fit). */
  async latestVersion(trx: ScoringDb): Promise<number> {
    const { max } = await trx.selectFrom('clv_model').select((eb) => eb.fn.max('version').as('max')).executeTakeFirstOrThrow();
    return max ?? 0;
  },

  async deactivateActive(trx: ScoringDb): Promise<void> {
    await trx.updateTable('clv_model').set({ active: false }).where('active', '=', true).execute();
  },

  async insert(trx: ScoringDb, model: NewClvModel): Promise<ClvModelRow> {
    return trx
      .insertInto('clv_model')
      .values({
        id: model.id,
        version: model.version,
        active: model.active,
        calibration_end: model.calibrationEnd,
        time_unit: model.timeUnit,
        bg_nbd: JSON.stringify(model.bgNbd),
        gamma_gamma: JSON.stringify(model.gammaGamma),
        log_likelihood: model.logLikelihood,
        sample_size: model.sampleSize,
        fitted_at: model.fittedAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Newest first. */
  async list(db: ScoringDb): Promise<ClvModelRow[]> {
    return db.selectFrom('clv_model').selectAll().orderBy('version', 'desc').execute();
  },

  async findActive(db: ScoringDb): Promise<ClvModelRow | undefined> {
    return db.selectFrom('clv_model').selectAll().where('active', '=', true).executeTakeFirst();
  },

  async findByVersion(db: ScoringDb, version: number): Promise<ClvModelRow | undefined> {
    return db.selectFrom('clv_model').selectAll().where('version', '=', version).executeTakeFirst();
  },

  /** The active model's parameters, for predictions. */
  async findActiveModel(db: ScoringDb): Promise<ActiveClvModel | undefined> {
    const row = await db.selectFrom('clv_model').select(['version', 'time_unit', 'bg_nbd', 'gamma_gamma']).where('active', '=', true).executeTakeFirst();
    return row && { version: row.version, timeUnit: row.time_unit, bgNbd: row.bg_nbd, gammaGamma: row.gamma_gamma };
  },
});
