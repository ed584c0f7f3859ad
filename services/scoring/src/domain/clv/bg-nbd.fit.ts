import betaln from '@stdlib/math-base-special-betaln';
import gammaln from '@stdlib/math-base-special-gammaln';
import type { BgNbdParams, CustomerSummary } from './bg-nbd.model';
import { aggregateSummaries, type WeightedSummaries } from './customer-summaries.aggregate';
import { logAddExp } from './log-space.math';
import { minimizeNelderMead, type NelderMeadOptions } from './nelder-mead.optimizer';

// Hot loop: Math's functions are bound once, since a global lookup per call is ~10x slower under
// jest's vm sandbox (and free elsewhere).
const { log } = Math;

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
 * negative log-likelihood per customer so the tolerances mean the same for 2,000 or 2,000,000 customers.
 */
export function fitBgNbd(customers: Iterable<CustomerSummary> | WeightedSummaries, options: BgNbdFitOptions = {}): BgNbdFit {
  const data = isWeighted(customers) ? customers : aggregateSummaries(customers);
  if (data.customers === 0) throw new RangeError('fitBgNbd: no customers to fit');
  const { initial = defaultStart(data), ...optimizer } = options;

  const fromLog = ([r, alpha, a, b]: readonly number[]): BgNbdParams => ({
    r: Math.exp(r ?? NaN),
    alpha: Math.exp(alpha ?? NaN),
    a: Math.exp(a ?? NaN),
    b: Math.exp(b ?? NaN),
  });
  const objective = (theta: readonly number[]): number => {
    const ll = bgNbdTotalLogLikelihood(fromLog(theta), data);
    return Number.isFinite(ll) ? -ll / data.customers : Infinity;
  };
  const start = [initial.r, initial.alpha, initial.a, initial.b].map(log);
  const result = minimizeNelderMead(objective, start, optimizer);
  const params = fromLog(result.x);
  return {
    params,
    logLikelihood: bgNbdTotalLogLikelihood(params, data),
    sampleSize: data.customers,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/**
 * Σ weight · ln L over the aggregated rows: the terms of `bgNbdLogLikelihood`, with the gamma and beta
 * functions (which depend on x only) recomputed only when x changes from one row to the next; rows from
 * `aggregateSummaries` come sorted by x, so that is once per distinct x.
 */
export function bgNbdTotalLogLikelihood(params: BgNbdParams, data: WeightedSummaries): number {
  const { r, alpha, a, b } = params;
  const rLogAlpha = r * log(alpha);
  const betaAB = betaln(a, b);
  const gammaR = gammaln(r);
  let total = 0;
  let currentX = NaN;
  let head = 0;
  let logDropout = -Infinity;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i] ?? NaN;
    if (x !== currentX) {
      currentX = x;
      head = rLogAlpha + gammaln(r + x) - gammaR + (x === 0 ? 0 : betaln(a, b + x) - betaAB);
      logDropout = x === 0 ? -Infinity : log(a) - log(b + x - 1);
    }
    const alive = -(r + x) * log(alpha + (data.T[i] ?? NaN));
    const dropped = logDropout - (r + x) * log(alpha + (data.tx[i] ?? NaN));
    total += (data.weight[i] ?? NaN) * (head + logAddExp(alive, dropped));
  }
  return total;
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
