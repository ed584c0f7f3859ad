import { allowLongStatements } from '@crm/platform';
import { bgNbdExpectedTransactions, bgNbdLifetimeValue, bgNbdProbabilityAlive, gammaGammaExpectedSpend, type ClvOptions, type TimeUnit } from '../clv';
import { clvRepository, type ActiveClvModel, type CustomerCalibration } from '../clv/clv.repository';
import type { ScoringDb } from '../db/tables';
import type { ScoreSettings } from './score.settings';
import { scoresRepository, type PredictionColumns } from './scores.repository';

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
  // Reads the whole window's transactions even for a few customers (the quintiles are the base's).
  await allowLongStatements(trx);
  await scoresRepository.computeValues(trx, { now, windowDays, customerIds });
  const model = await clvRepository.findActiveModel(trx);
  await scoresRepository.storePredictions(trx, model ? await predictClv(trx, model, options) : predictionColumns([]));
  const scored = await scoresRepository.mergeScores(trx, {
    now,
    customerIds,
    modelVersion: model?.version,
    valueThreshold: options.valueThreshold,
    needsThreshold: options.needsThreshold ?? 0.5,
  });
  // Erased or merged-away customers lose their scores on a full run.
  if (!customerIds) await scoresRepository.deleteWithoutCustomer(trx);
  return { scored };
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
  const summaries = await clvRepository.calibrationSummaries(trx, today, model.timeUnit, options.customerIds);
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
function predictionColumns(rows: Prediction[]): PredictionColumns {
  return {
    customerId: rows.map((row) => row.customer_id),
    expectedTransactions: rows.map((row) => row.expected_transactions),
    pAlive: rows.map((row) => row.p_alive),
    expectedSpend: rows.map((row) => row.expected_spend),
    clv: rows.map((row) => row.clv),
  };
}

const finite = (value: number | null): number | null => (value !== null && Number.isFinite(value) ? value : null);
