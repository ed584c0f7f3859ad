import betaln from '@stdlib/math-base-special-betaln';
import gammaln from '@stdlib/math-base-special-gammaln';
import { hyp2f1ExcessOverB } from './hyp2f1.math';
import { expm1OverX, log1pExp, logAddExp } from './log-space.math';

/**
 * BG/NBD model of Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way".
 * While alive a customer buys at Poisson rate λ ~ Gamma(r, α); after each repeat purchase they drop out
 * with probability p ~ Beta(a, b). All times are in one chosen unit (days, weeks, ...).
 */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** A customer's calibration-period summary: x repeat purchases, the last at t_x, observed for T since the first. */
export interface CustomerSummary {
  x: number;
  tx: number;
  T: number;
}

/**
 * Log-likelihood of one customer (paper eq. 6), in the form
 *   ln L = A1 + A2 + ln(e^A3 + δ(x>0) e^A4)
 *   A1 = lnΓ(r+x) − lnΓ(r) + r ln α,        A2 = ln B(a, b+x) − ln B(a, b),
 *   A3 = −(r+x) ln(α+T),                     A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x),
 * using B(a+1, b+x−1) = B(a, b+x)·a/(b+x−1). Gamma/beta functions stay in log space and the last term is
 * a log-sum-exp, so large x or T cannot overflow.
 */
export function bgNbdLogLikelihood(params: BgNbdParams, { x, tx, T }: CustomerSummary): number {
  const { r, alpha, a, b } = params;
  const a1 = gammaln(r + x) - gammaln(r) + r * Math.log(alpha);
  const a2 = x === 0 ? 0 : betaln(a, b + x) - betaln(a, b);
  return a1 + a2 + logAddExp(-(r + x) * Math.log(alpha + T), logDropoutTerm(params, x, tx));
}

/** A4 above: ln of the "dropped out right after the last purchase" branch, −∞ when x = 0 (no such branch). */
function logDropoutTerm({ r, alpha, a, b }: BgNbdParams, x: number, tx: number): number {
  return x === 0 ? -Infinity : Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
}

/**
 * P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)) (Fader, Hardie & Lee's note
 * "Computing P(alive) using the BG/NBD model"). Customers can only drop out right after a repeat purchase,
 * so x = 0 gives 1.
 */
export function bgNbdProbabilityAlive(params: BgNbdParams, { x, tx, T }: CustomerSummary): number {
  if (x === 0) return 1;
  return Math.exp(-log1pExp(logOddsDead(params, x, tx, T)));
}

/** ln of the odds (dead : alive) given x > 0; log1p keeps ln((α+T)/(α+t_x)) exact when T ≈ t_x. */
function logOddsDead({ r, alpha, a, b }: BgNbdParams, x: number, tx: number, T: number): number {
  return Math.log(a) - Math.log(b + x - 1) + (r + x) * Math.log1p((T - tx) / (alpha + tx));
}

/**
 * E[Y(t) | x, t_x, T], expected purchases in (T, T+t] (paper eq. 10):
 *   C/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; C; z)] · P(alive),   C = a+b+x−1, z = t/(α+T+t).
 * Evaluated as written, the 2F1 grows like (1−z)^−(x+...) and the power underflows, and C/(a−1) is 0/0 at
 * a = 1. Euler's transformation 2F1(A, B; C; z) = (1−z)^(C−A−B) 2F1(C−A, C−B; C; z) turns the product into
 * (1−z)^(a−1) · 2F1(a+b−1−r, a−1; C; z), whose terms stay bounded; writing that 2F1 as 1 + (a−1)·S gives
 *   [1 − (1−z)^(a−1) 2F1] / (a−1) = −L · expm1((a−1)L)/((a−1)L) − (1−z)^(a−1) · S,   L = ln(1−z),
 * which is finite and smooth through a = 1.
 */
export function bgNbdExpectedTransactions(params: BgNbdParams, { x, tx, T }: CustomerSummary, t: number): number {
  if (!(t >= 0)) throw new RangeError(`t must be ≥ 0, got ${t}`);
  if (t === 0) return 0;
  const { r, alpha, a, b } = params;
  const c = a + b + x - 1;
  const z = t / (alpha + T + t);
  const logOneMinusZ = -Math.log1p(t / (alpha + T));
  const excess = hyp2f1ExcessOverB(a + b - 1 - r, a - 1, c, z);
  const bracketOverAMinus1 =
    -logOneMinusZ * expm1OverX((a - 1) * logOneMinusZ) - Math.exp((a - 1) * logOneMinusZ) * excess;
  return c * bracketOverAMinus1 * bgNbdProbabilityAlive(params, { x, tx, T });
}
