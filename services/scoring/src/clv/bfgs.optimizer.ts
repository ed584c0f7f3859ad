import { minimizeNelderMead, type NelderMeadOptions } from './nelder-mead.optimizer';

/**
 * Quasi-Newton minimisation (BFGS, inverse-Hessian form) with a backtracking Armijo line search, for
 * smooth objectives whose gradient is known analytically. On the CLV likelihoods it needs a few dozen
 * evaluations where Nelder-Mead needs several hundred, which is what a fit over a million customers
 * costs. Written here for the same reason as nelder-mead.optimizer.ts: no maintained npm package fits.
 */
export interface ValueAndGradient {
  value: number;
  gradient: number[];
}

export interface BfgsOptions {
  /** Converged when every gradient component is at most this (the objectives are means per customer). */
  gradientTolerance?: number;
  maxIterations?: number;
}

export interface BfgsResult {
  x: number[];
  fx: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

// The objectives are means of up to millions of terms: their gradients carry rounding noise near 1e-8,
// so asking for less than 1e-6 only buys creeping steps. 1e-6 pins the parameters far below their
// standard errors.
const DEFAULTS: Required<BfgsOptions> = { gradientTolerance: 1e-6, maxIterations: 500 };
const ARMIJO = 1e-4;
const BACKTRACK = 0.5;
const MAX_BACKTRACKS = 60;

export function minimizeBfgs(objective: (x: readonly number[]) => ValueAndGradient, start: readonly number[], options: BfgsOptions = {}): BfgsResult {
  const { gradientTolerance, maxIterations } = { ...DEFAULTS, ...options };
  const n = start.length;
  let evaluations = 0;
  const evaluate = (x: number[]) => {
    evaluations++;
    const result = objective(x);
    const finite = Number.isFinite(result.value) && result.gradient.every(Number.isFinite);
    return finite ? result : { value: Infinity, gradient: result.gradient };
  };

  let x = [...start];
  let current = evaluate(x);
  if (!Number.isFinite(current.value)) return { x, fx: current.value, iterations: 0, evaluations, converged: false };
  let inverseHessian = identity(n);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const g = current.gradient;
    if (g.every((gi) => Math.abs(gi) <= gradientTolerance)) return { x, fx: current.value, iterations: iteration, evaluations, converged: true };
    let direction = multiply(inverseHessian, g).map((v) => -v);
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (the approximation went bad): start again from steepest descent.
      inverseHessian = identity(n);
      direction = g.map((v) => -v);
      slope = dot(g, direction);
    }
    let step = 1;
    let next: { x: number[]; value: number; gradient: number[] } | undefined;
    for (let k = 0; k < MAX_BACKTRACKS; k++, step *= BACKTRACK) {
      const candidateX = x.map((xi, i) => xi + step * (direction[i] ?? 0));
      const candidate = evaluate(candidateX);
      if (candidate.value <= current.value + ARMIJO * step * slope) {
        next = { x: candidateX, ...candidate };
        break;
      }
    }
    // No decrease along a descent direction: as close to a minimum as rounding allows.
    if (!next) return { x, fx: current.value, iterations: iteration, evaluations, converged: g.every((gi) => Math.abs(gi) <= gradientTolerance * 100) };

    const s = next.x.map((v, i) => v - (x[i] ?? 0));
    const y = next.gradient.map((v, i) => v - (g[i] ?? 0));
    const sy = dot(s, y);
    if (sy > 1e-16) {
      // The first update rescales the identity to the curvature seen (Nocedal & Wright, eq. 6.20).
      if (iteration === 0) inverseHessian = identity(n).map((row) => row.map((v) => (v * sy) / dot(y, y)));
      inverseHessian = bfgsUpdate(inverseHessian, s, y, sy);
    }
    x = next.x;
    current = next;
  }
  return { x, fx: current.value, iterations: maxIterations, evaluations, converged: false };
}

/** H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1 / (sᵀy). */
function bfgsUpdate(h: number[][], s: number[], y: number[], sy: number): number[][] {
  const rho = 1 / sy;
  const hy = multiply(h, y);
  const yhy = dot(y, hy);
  return h.map((row, i) =>
    row.map((hij, j) => {
      const si = s[i] ?? 0;
      const sj = s[j] ?? 0;
      return hij - rho * ((hy[i] ?? 0) * sj + si * (hy[j] ?? 0)) + (rho * rho * yhy + rho) * si * sj;
    }),
  );
}

const identity = (n: number): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const dot = (u: readonly number[], v: readonly number[]) => u.reduce((sum, ui, i) => sum + ui * (v[i] ?? 0), 0);
const multiply = (m: number[][], v: readonly number[]) => m.map((row) => dot(row, v));

/**
 * A fit's objective: the mean negative log-likelihood per customer (so tolerances mean the same for 2,000
 * or 2,000,000 customers) over the logs of the parameters (positive without constraints, comparable
 * scales), from the log-likelihood and its gradient by the parameters: d/d(ln θ) = θ · d/dθ.
 */
export function meanNegativeLogLikelihood(logLikelihood: (params: number[]) => ValueAndGradient, customers: number) {
  return (theta: readonly number[]): ValueAndGradient => {
    const params = theta.map(Math.exp);
    const { value, gradient } = logLikelihood(params);
    return { value: -value / customers, gradient: gradient.map((g, k) => (-g * (params[k] ?? NaN)) / customers) };
  };
}

/**
 * The fits' minimiser: BFGS with the analytic gradient; should it stop short of its tolerance (a flat or
 * badly scaled surface), Nelder-Mead on the values alone finishes from where it got to.
 */
export function minimizeWithGradient(
  objective: (x: readonly number[]) => ValueAndGradient,
  start: readonly number[],
  options: NelderMeadOptions = {},
): { x: number[]; fx: number; iterations: number; converged: boolean } {
  const quasiNewton = minimizeBfgs(objective, start);
  if (quasiNewton.converged) return quasiNewton;
  const simplex = minimizeNelderMead((x) => objective(x).value, quasiNewton.x, options);
  return { ...simplex, iterations: quasiNewton.iterations + simplex.iterations };
}
