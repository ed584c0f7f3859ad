import betaln from '@stdlib/math-base-special-betaln';
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import type { BgNbdParams, CustomerSummary } from './bg-nbd.model';
import { aggregateSummaries, type WeightedSummaries } from './customer-summaries.aggregate';
import { meanNegativeLogLikelihood, minimizeWithGradient } from './bfgs.optimizer';
import type { NelderMeadOptions } from './nelder-mead.optimizer';

// Hot loop: Math's functions are bound once, since a global lookup per call is ~10x slower under
// jest's vm sandbox (and free elsewhere).
const { exp, log, log1p } = Math;

export interface BgNbdFit {
  params: BgNbdParams;
  logLikelihood: number;
  sampleSize: number;
  iterations: number;
  converged: boolean;
}

export interface BgNbdFitOptions extends NelderMeadOptions {
  /** Starting point; by default r = a = b = 1 and α matching the observed purchase rate. */
  initial?: BgNbdParams;
}

/**
 * Maximum-likelihood BG/NBD fit. The search runs over the logs of (r, α, a, b), which keeps every
 * parameter positive without constraints and puts them on comparable scales; the objective is the mean
 * negative log-likelihood per customer so the tolerances mean the same for 2,000 or 2,000,000 customers,
 * minimised by BFGS with the analytic gradient (see bgNbdLogLikelihoodWithGradient).
 */
export function fitBgNbd(customers: Iterable<CustomerSummary> | WeightedSummaries, options: BgNbdFitOptions = {}): BgNbdFit {
  const data = isWeighted(customers) ? customers : aggregateSummaries(customers);
  if (data.customers === 0) throw new RangeError('fitBgNbd: no customers to fit');
  const { initial = defaultStart(data), ...optimizer } = options;

  const paramsOf = ([r = NaN, alpha = NaN, a = NaN, b = NaN]: readonly number[]): BgNbdParams => ({ r, alpha, a, b });
  const objective = meanNegativeLogLikelihood((values) => bgNbdLogLikelihoodWithGradient(paramsOf(values), data), data.customers);
  const start = [initial.r, initial.alpha, initial.a, initial.b].map(log);
  const result = minimizeWithGradient(objective, start, optimizer);
  const params = paramsOf(result.x.map(Math.exp));
  return {
    params,
    logLikelihood: bgNbdTotalLogLikelihood(params, data),
    sampleSize: data.customers,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/** Σ weight · ln L over the aggregated rows (see bgNbdLogLikelihoodWithGradient). */
export function bgNbdTotalLogLikelihood(params: BgNbdParams, data: WeightedSummaries): number {
  return bgNbdLogLikelihoodWithGradient(params, data).value;
}

/**
 * Σ weight · ln L over the aggregated rows and its gradient by (r, α, a, b), in one pass: the terms of
 * `bgNbdLogLikelihood`, with the gamma, beta and digamma terms (which depend on x only) recomputed only
 * when x changes from one row to the next; rows from `aggregateSummaries` come sorted by x, so that is
 * once per distinct x. Per row, ln L = head(x) + ln(e^A + e^D) with A = −(r+x)·ln(α+T) (still alive) and,
 * for x > 0, D = ln a − ln(b+x−1) − (r+x)·ln(α+t_x) (dropped out after the last purchase); the gradient of
 * the second part weighs each branch by its share p_A = e^A / (e^A + e^D).
 */
export function bgNbdLogLikelihoodWithGradient(params: BgNbdParams, data: WeightedSummaries): { value: number; gradient: [number, number, number, number] } {
  const { r, alpha, a, b } = params;
  const logAlpha = log(alpha);
  const betaAB = betaln(a, b);
  const gammaR = gammaln(r);
  const digammaR = digamma(r);
  const digammaAB = digamma(a + b);
  const digammaB = digamma(b);
  let value = 0;
  let dr = 0;
  let dAlpha = 0;
  let da = 0;
  let db = 0;
  let currentX = NaN;
  let head = 0;
  let headR = 0;
  let headA = 0;
  let headB = 0;
  let logDropoutOdds = 0;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i] ?? NaN;
    if (x !== currentX) {
      currentX = x;
      const digammaABX = digamma(a + b + x);
      head = r * logAlpha + gammaln(r + x) - gammaR + (x === 0 ? 0 : betaln(a, b + x) - betaAB);
      headR = logAlpha + digamma(r + x) - digammaR;
      headA = x === 0 ? 0 : digammaAB - digammaABX;
      headB = x === 0 ? 0 : digamma(b + x) - digammaABX - digammaB + digammaAB;
      logDropoutOdds = x === 0 ? 0 : log(a) - log(b + x - 1);
    }
    const w = data.weight[i] ?? NaN;
    const logAlphaT = log(alpha + (data.T[i] ?? NaN));
    const alive = -(r + x) * logAlphaT;
    let mixture = alive;
    let shareAlive = 1;
    let logAlphaTx = 0;
    if (x > 0) {
      logAlphaTx = log(alpha + (data.tx[i] ?? NaN));
      const dropped = logDropoutOdds - (r + x) * logAlphaTx;
      // ln(e^A + e^D) and p_A with one exp and one log1p, whichever branch is larger.
      const d = dropped - alive;
      if (d > 0) {
        const e = exp(-d);
        mixture = dropped + log1p(e);
        shareAlive = e / (1 + e);
      } else {
        const e = exp(d);
        mixture = alive + log1p(e);
        shareAlive = 1 / (1 + e);
      }
    }
    const shareDropped = 1 - shareAlive;
    value += w * (head + mixture);
    dr += w * (headR - shareAlive * logAlphaT - shareDropped * logAlphaTx);
    dAlpha += w * (r / alpha - (r + x) * (shareAlive / (alpha + (data.T[i] ?? NaN)) + (x > 0 ? shareDropped / (alpha + (data.tx[i] ?? NaN)) : 0)));
    if (x > 0) {
      da += w * (headA + shareDropped / a);
      db += w * (headB - shareDropped / (b + x - 1));
    }
  }
  return { value, gradient: [dr, dAlpha, da, db] };
}

function defaultStart(data: WeightedSummaries): BgNbdParams {
  let purchases = 0;
  let exposure = 0;
  for (let i = 0; i < data.x.length; i++) {
    const w = data.weight[i] ?? 0;
    purchases += w * (data.x[i] ?? 0);
    exposure += w * (data.T[i] ?? 0);
  }
  // With r = 1 the mean purchase rate is 1/α; without any repeat purchase fall back to α = 1.
  const alpha = exposure > 0 && purchases > 0 ? exposure / purchases : 1;
  return { r: 1, alpha, a: 1, b: 1 };
}

function isWeighted(value: Iterable<CustomerSummary> | WeightedSummaries): value is WeightedSummaries {
  return 'weight' in value && value.weight instanceof Float64Array;
}
