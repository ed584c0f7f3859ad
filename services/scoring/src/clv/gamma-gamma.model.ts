import gammaln from '@stdlib/math-base-special-gammaln';
import type { SpendSummary } from './calibration.summary';

/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013 note).
 * Each transaction value ~ Gamma(p, ν) (shape, rate), ν ~ Gamma(q, γ) across customers, independent of the
 * purchase process. The population mean spend per transaction is pγ/(q−1), finite only for q > 1.
 */
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/**
 * ln density of a customer's mean spend m̄ over x transactions:
 *   lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m̄ + px ln x − (px+q) ln(x·m̄ + γ).
 * Only defined for x > 0 and m̄ > 0.
 */
export function gammaGammaLogLikelihood({ p, q, gamma }: GammaGammaParams, { x, meanValue }: SpendSummary): number {
  const px = p * x;
  return (
    gammaln(px + q) - gammaln(px) - gammaln(q) + q * Math.log(gamma) +
    (px - 1) * Math.log(meanValue) + px * Math.log(x) - (px + q) * Math.log(x * meanValue + gamma)
  );
}

/** pγ/(q−1): what the model expects a customer with no repeat history to spend per transaction. */
export function gammaGammaPopulationMean({ p, q, gamma }: GammaGammaParams): number {
  if (!(q > 1)) throw new RangeError(`the population mean spend needs q > 1, got q = ${q}`);
  return (p * gamma) / (q - 1);
}

/**
 * E[M | x, m̄] = p(γ + x·m̄)/(px + q − 1), a weighted average of the population mean pγ/(q−1) (weight
 * (q−1)/(px+q−1)) and the customer's own m̄ (weight px/(px+q−1)): the more transactions, the more the
 * customer's own average counts. With x = 0 it is the population mean.
 */
export function gammaGammaExpectedSpend(params: GammaGammaParams, { x, meanValue }: SpendSummary): number {
  const { p, q, gamma } = params;
  if (!(q > 1)) throw new RangeError(`the expected spend needs q > 1, got q = ${q}`);
  if (x === 0) return gammaGammaPopulationMean(params);
  return (p * (gamma + x * meanValue)) / (p * x + q - 1);
}
