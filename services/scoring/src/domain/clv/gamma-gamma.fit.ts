import gammaln from '@stdlib/math-base-special-gammaln';
import type { SpendSummary } from './calibration.summary';
import type { GammaGammaParams } from './gamma-gamma.model';
import { minimizeNelderMead, type NelderMeadOptions } from './nelder-mead.optimizer';

// Hot loop: Math's functions are bound once, since a global lookup per call is ~10x slower under
// jest's vm sandbox (and free elsewhere).
const { log } = Math;

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  /** Customers used: those with x > 0. */
  sampleSize: number;
  iterations: number;
  converged: boolean;
}

export interface GammaGammaFitOptions extends NelderMeadOptions {
  /** Starting point; by default p = 1, q = 2 and γ = the observed mean spend (population mean = γ). */
  initial?: GammaGammaParams;
}

/**
 * Maximum-likelihood Gamma-Gamma fit over customers with at least one repeat purchase (x = 0 customers
 * carry no spend information and are skipped). Searches the logs of (p, q, γ), like the BG/NBD fit.
 */
export function fitGammaGamma(customers: Iterable<SpendSummary>, options: GammaGammaFitOptions = {}): GammaGammaFit {
  const xs: number[] = [];
  const means: number[] = [];
  for (const { x, meanValue } of customers) {
    if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`x must be an integer ≥ 0, got ${x}`);
    if (x === 0) continue;
    if (!(meanValue > 0 && Number.isFinite(meanValue))) {
      throw new RangeError(`the Gamma-Gamma model needs a positive mean spend for x > 0, got ${meanValue}`);
    }
    xs.push(x);
    means.push(meanValue);
  }
  if (xs.length === 0) throw new RangeError('fitGammaGamma: no customer with a repeat purchase');
  const data = {
    x: Float64Array.from(xs),
    logX: Float64Array.from(xs, log),
    m: Float64Array.from(means),
    logM: Float64Array.from(means, log),
  };

  // The gamma functions depend on x alone (once per distinct x) and ln m̄ is fixed: one log per row is left.
  const totalLogLikelihood = ({ p, q, gamma }: GammaGammaParams): number => {
    const perX = new Map<number, number>();
    const logGamma = log(gamma);
    const lgq = gammaln(q);
    let total = 0;
    for (let i = 0; i < data.x.length; i++) {
      const x = data.x[i] ?? NaN;
      const px = p * x;
      let head = perX.get(x);
      if (head === undefined) {
        head = gammaln(px + q) - gammaln(px) - lgq + q * logGamma + px * (data.logX[i] ?? NaN);
        perX.set(x, head);
      }
      total += head + (px - 1) * (data.logM[i] ?? NaN) - (px + q) * log(x * (data.m[i] ?? NaN) + gamma);
    }
    return total;
  };
  const fromLog = ([p, q, gamma]: readonly number[]): GammaGammaParams => ({
    p: Math.exp(p ?? NaN),
    q: Math.exp(q ?? NaN),
    gamma: Math.exp(gamma ?? NaN),
  });
  const objective = (theta: readonly number[]): number => {
    const ll = totalLogLikelihood(fromLog(theta));
    return Number.isFinite(ll) ? -ll / xs.length : Infinity;
  };

  const meanSpend = means.reduce((sum, m) => sum + m, 0) / means.length;
  // With p = 1 and q = 2 the population mean pγ/(q−1) is γ; start there, at the observed mean.
  const { initial = { p: 1, q: 2, gamma: meanSpend }, ...optimizer } = options;
  const result = minimizeNelderMead(objective, [initial.p, initial.q, initial.gamma].map(log), optimizer);
  const params = fromLog(result.x);
  return {
    params,
    logLikelihood: totalLogLikelihood(params),
    sampleSize: xs.length,
    iterations: result.iterations,
    converged: result.converged,
  };
}
