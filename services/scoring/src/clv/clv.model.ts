import { bgNbdExpectedTransactions, type BgNbdParams, type CustomerSummary } from './bg-nbd.model';
import type { SpendSummary } from './calibration.summary';
import { gammaGammaExpectedSpend, type GammaGammaParams } from './gamma-gamma.model';

export interface ClvOptions {
  /** How far ahead to look, in the models' time unit. */
  horizon: number;
  /** Discount rate per period, e.g. 0.01 per month. */
  discountRate: number;
  /** Length of one discounting period in the models' time unit (default 1: one period per unit). */
  periodLength?: number;
}

/**
 * Discounted expected revenue of one customer over the horizon H:
 *
 *   CLV = Σ_{i=1..n} (E[Y(t_i)] − E[Y(t_{i−1})]) · spend / (1 + d)^i,   t_i = min(i·L, H), n = ⌈H/L⌉,
 *
 * where E[Y(t)] = E[Y(t) | x, t_x, T] is the BG/NBD expectation of purchases in the next t units, so the
 * difference is the expected number in period i; L is the period length and d the rate per period. Purchases
 * in period i are discounted as if they happened at its end. A last partial period (H not a multiple of L)
 * counts only its share of purchases but is still discounted by a full period.
 */
export function bgNbdLifetimeValue(
  params: BgNbdParams,
  customer: CustomerSummary,
  expectedSpend: number,
  { horizon, discountRate, periodLength = 1 }: ClvOptions,
): number {
  if (!(horizon >= 0 && Number.isFinite(horizon))) throw new RangeError(`horizon must be ≥ 0, got ${horizon}`);
  if (!(periodLength > 0)) throw new RangeError(`periodLength must be > 0, got ${periodLength}`);
  if (!(discountRate > -1)) throw new RangeError(`discountRate must be > −1, got ${discountRate}`);
  // The tolerance keeps e.g. horizon 52 with periodLength 52/12 at 12 periods despite rounding.
  const periods = Math.ceil(horizon / periodLength - 1e-9);
  let value = 0;
  let previous = 0;
  for (let i = 1; i <= periods; i++) {
    const expected = bgNbdExpectedTransactions(params, customer, Math.min(i * periodLength, horizon));
    value += (expected - previous) / (1 + discountRate) ** i;
    previous = expected;
  }
  return value * expectedSpend;
}

/** CLV with the spend per transaction taken from the Gamma-Gamma model: E[M | x, m̄]. */
export function customerLifetimeValue(
  models: { bgNbd: BgNbdParams; gammaGamma: GammaGammaParams },
  customer: CustomerSummary & Pick<SpendSummary, 'meanValue'>,
  options: ClvOptions,
): number {
  const spend = gammaGammaExpectedSpend(models.gammaGamma, customer);
  return bgNbdLifetimeValue(models.bgNbd, customer, spend, options);
}
