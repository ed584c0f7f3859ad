import { minimizeNelderMead } from '../src/clv/nelder-mead.optimizer';

/** Rosenbrock's valley in n dimensions: minimum 0 at (1, …, 1), notoriously slow for simplex methods. */
const rosenbrock = (x: readonly number[]) =>
  x.slice(1).reduce((sum, xi, i) => sum + 100 * (xi - (x[i] ?? NaN) ** 2) ** 2 + (1 - (x[i] ?? NaN)) ** 2, 0);

describe('minimizeNelderMead', () => {
  it('finds the Rosenbrock minimum in 2 and 4 dimensions and says it converged', () => {
    for (const start of [[-1.2, 1], [-1.2, 1, -1.2, 1]]) {
      const result = minimizeNelderMead(rosenbrock, start, { xTolerance: 1e-10, fTolerance: 1e-16 });
      expect(result.converged).toBe(true);
      expect(result.restarts).toBeGreaterThanOrEqual(1);
      for (const xi of result.x) expect(xi).toBeCloseTo(1, 6);
      expect(result.fx).toBeLessThan(1e-12);
    }
  });

  it('reports no convergence when the iteration budget runs out', () => {
    const result = minimizeNelderMead(rosenbrock, [-1.2, 1], { maxIterations: 20 });
    expect(result.converged).toBe(false);
    expect(result.iterations).toBe(20);
    expect(result.fx).toBeLessThan(rosenbrock([-1.2, 1]));
  });

  it('treats NaN as infeasible and stays out of that region', () => {
    // Minimum of (x − 2)² + (y + 1)² restricted to y ≥ 0 is at (2, 0).
    const objective = ([x = NaN, y = NaN]: readonly number[]) => (y < 0 ? NaN : (x - 2) ** 2 + (y + 1) ** 2);
    const result = minimizeNelderMead(objective, [0, 3]);
    expect(result.x[0]).toBeCloseTo(2, 4);
    expect(result.x[1]).toBeGreaterThanOrEqual(0);
    expect(result.x[1]).toBeLessThan(1e-4);
  });
});
