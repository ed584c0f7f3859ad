/**
 * Nelder-Mead downhill simplex (Lagarias et al. 1998 coefficients) with restarts.
 *
 * Written here because the npm options did not hold up: `fmin` 0.0.4 ships a UMD bundle under
 * "type": "module" (nothing is exported when loaded from Node) and its shrink step assigns an undeclared
 * variable; `ml-levenberg-marquardt` only does least squares; the rest are unmaintained or browser bundles.
 * Likelihoods here have 3–4 parameters and cheap evaluations, which is Nelder-Mead's home ground.
 *
 * A run stops when every vertex is within `xTolerance` (per coordinate) and `fTolerance` of the best one.
 * The simplex can collapse before reaching a minimum, so the result is only trusted once a fresh simplex
 * built around it fails to improve it by more than `fTolerance` (Numerical Recipes' advice).
 */
export interface NelderMeadOptions {
  /** Edge length of the initial simplex along each coordinate axis. */
  step?: number;
  xTolerance?: number;
  fTolerance?: number;
  /** Iteration budget for all runs together. */
  maxIterations?: number;
  maxRestarts?: number;
}

export interface NelderMeadResult {
  x: number[];
  fx: number;
  iterations: number;
  evaluations: number;
  restarts: number;
  /** False when the iteration or restart budget ran out before a restart confirmed the minimum. */
  converged: boolean;
}

const DEFAULTS: Required<NelderMeadOptions> = {
  step: 0.5,
  xTolerance: 1e-8,
  fTolerance: 1e-12,
  maxIterations: 20_000,
  maxRestarts: 20,
};

const REFLECT = 1;
const EXPAND = 2;
const CONTRACT = 0.5;
const SHRINK = 0.5;

interface Vertex {
  x: number[];
  f: number;
}

export function minimizeNelderMead(
  objective: (x: readonly number[]) => number,
  start: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const settings = { ...DEFAULTS, ...options };
  let evaluations = 0;
  // NaN would poison every comparison; an infeasible point is simply the worst possible one.
  const f = (x: number[]): Vertex => {
    evaluations++;
    const value = objective(x);
    return { x, f: Number.isNaN(value) ? Infinity : value };
  };

  let best = f([...start]);
  let iterations = 0;
  for (let restarts = 0; ; restarts++) {
    const run = simplexRun(f, best.x, settings, settings.maxIterations - iterations);
    iterations += run.iterations;
    const improved = best.f - run.best.f > settings.fTolerance;
    if (run.best.f < best.f) best = run.best;
    const confirmed = run.converged && restarts > 0 && !improved;
    if (confirmed || !run.converged || restarts === settings.maxRestarts) {
      return { x: best.x, fx: best.f, iterations, evaluations, restarts, converged: confirmed && Number.isFinite(best.f) };
    }
  }
}

function simplexRun(
  f: (x: number[]) => Vertex,
  origin: readonly number[],
  settings: Required<NelderMeadOptions>,
  budget: number,
): { best: Vertex; iterations: number; converged: boolean } {
  const n = origin.length;
  const simplex: Vertex[] = [f([...origin])];
  for (let i = 0; i < n; i++) {
    const x = [...origin];
    x[i] = at(x, i) + settings.step;
    simplex.push(f(x));
  }
  const byValue = (u: Vertex, v: Vertex): number => (u.f < v.f ? -1 : u.f > v.f ? 1 : 0);

  for (let iteration = 0; iteration < budget; iteration++) {
    simplex.sort(byValue);
    const best = vertex(simplex, 0);
    const worst = vertex(simplex, n);
    const secondWorst = vertex(simplex, n - 1);
    if (hasConverged(simplex, settings)) return { best, iterations: iteration, converged: true };

    const centroid = new Array<number>(n).fill(0);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) centroid[i] = at(centroid, i) + at(vertex(simplex, j).x, i) / n;
    // Points on the line through the worst vertex and the centroid: centroid + s·(centroid − worst).
    const along = (s: number): Vertex => f(centroid.map((c, i) => c + s * (c - at(worst.x, i))));

    const reflected = along(REFLECT);
    if (reflected.f < best.f) {
      const expanded = along(EXPAND);
      simplex[n] = expanded.f < reflected.f ? expanded : reflected;
    } else if (reflected.f < secondWorst.f) {
      simplex[n] = reflected;
    } else {
      const outside = reflected.f < worst.f;
      const contracted = along(outside ? REFLECT * CONTRACT : -CONTRACT);
      if (contracted.f < (outside ? reflected.f : worst.f)) {
        simplex[n] = contracted;
      } else {
        for (let j = 1; j <= n; j++) {
          simplex[j] = f(best.x.map((b, i) => b + SHRINK * (at(vertex(simplex, j).x, i) - b)));
        }
      }
    }
  }
  simplex.sort(byValue);
  return { best: vertex(simplex, 0), iterations: budget, converged: false };
}

function hasConverged(sorted: readonly Vertex[], { xTolerance, fTolerance }: Required<NelderMeadOptions>): boolean {
  const best = vertex(sorted, 0);
  return sorted.every(
    (v) => Math.abs(v.f - best.f) <= fTolerance && v.x.every((xi, i) => Math.abs(xi - at(best.x, i)) <= xTolerance),
  );
}

function vertex(simplex: readonly Vertex[], i: number): Vertex {
  const v = simplex[i];
  if (!v) throw new Error(`simplex has no vertex ${i}`);
  return v;
}

function at(values: readonly number[], i: number): number {
  return values[i] ?? NaN;
}
