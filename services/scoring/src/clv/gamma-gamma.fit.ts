import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import type { SpendSummary } from './calibration.summary';
import type { GammaGammaParams } from './gamma-gamma.model';
import { meanNegativeLogLikelihood, minimizeWithGradient } from './bfgs.optimizer';
import type { NelderMeadOptions } from './nelder-mead.optimizer';

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
  const data: SpendRows = {
    x: Float64Array.from(xs),
    logX: Float64Array.from(xs, log),
    m: Float64Array.from(means),
    logM: Float64Array.from(means, log),
  };

  const paramsOf = ([p = NaN, q = NaN, gamma = NaN]: readonly number[]): GammaGammaParams => ({ p, q, gamma });
  const objective = meanNegativeLogLikelihood((values) => gammaGammaLogLikelihoodWithGradient(paramsOf(values), data), xs.length);

  const meanSpend = means.reduce((sum, m) => sum + m, 0) / means.length;
  // With p = 1 and q = 2 the population mean pγ/(q−1) is γ; start there, at the observed mean.
  const { initial = { p: 1, q: 2, gamma: meanSpend }, ...optimizer } = options;
  const result = minimizeWithGradient(objective, [initial.p, initial.q, initial.gamma].map(log), optimizer);
  const params = paramsOf(result.x.map(Math.exp));
  return {
    params,
    logLikelihood: gammaGammaLogLikelihoodWithGradient(params, data).value,
    sampleSize: xs.length,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/** Customers with a repeat purchase, as columns (x, ln x, mean spend m̄, ln m̄). */
export interface SpendRows {
  x: Float64Array;
  logX: Float64Array;
  m: Float64Array;
  logM: Float64Array;
}

/**
 * Σ ln L of the Gamma-Gamma model over the rows and its gradient by (p, q, γ). The gamma and digamma
 * functions depend on x alone (once per distinct x) and ln m̄ is fixed: one log per row is left.
 */
export function gammaGammaLogLikelihoodWithGradient({ p, q, gamma }: GammaGammaParams, data: SpendRows): { value: number; gradient: [number, number, number] } {
  const perX = new Map<number, { head: number; headP: number; headQ: number }>();
  const logGamma = log(gamma);
  const lgq = gammaln(q);
  const digammaQ = digamma(q);
  let value = 0;
  let dp = 0;
  let dq = 0;
  let dGamma = 0;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i] ?? NaN;
    const px = p * x;
    const logX = data.logX[i] ?? NaN;
    let terms = perX.get(x);
    if (terms === undefined) {
      const digammaPxQ = digamma(px + q);
      terms = {
        head: gammaln(px + q) - gammaln(px) - lgq + q * logGamma + px * logX,
        headP: x * (digammaPxQ - digamma(px) + logX),
        headQ: digammaPxQ - digammaQ + logGamma,
      };
      perX.set(x, terms);
    }
    const logM = data.logM[i] ?? NaN;
    const spend = x * (data.m[i] ?? NaN) + gamma;
    const logSpend = log(spend);
    value += terms.head + (px - 1) * logM - (px + q) * logSpend;
    dp += terms.headP + x * (logM - logSpend);
    dq += terms.headQ - logSpend;
    dGamma += q / gamma - (px + q) / spend;
  }
  return { value, gradient: [dp, dq, dGamma] };
}
