import { minimizeBfgs } from '../src/clv/bfgs.optimizer';
import { bgNbdLogLikelihoodWithGradient } from '../src/clv/bg-nbd.fit';
import { aggregateSummaries } from '../src/clv/customer-summaries.aggregate';
import { gammaGammaLogLikelihoodWithGradient } from '../src/clv/gamma-gamma.fit';
import { seededRandom, simulateBgNbd, simulateGammaGammaSpend } from '../src/clv/clv.simulation';

/** Central differences, relative step: what an analytic gradient must agree with. */
function numericGradient(f: (params: number[]) => number, at: number[]): number[] {
  return at.map((value, k) => {
    const h = 1e-6 * Math.max(1, Math.abs(value));
    const plus = [...at];
    const minus = [...at];
    plus[k] = value + h;
    minus[k] = value - h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

const relativeError = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe('analytic gradients of the CLV likelihoods', () => {
  const random = seededRandom(11);
  const customers = simulateBgNbd({ r: 0.8, alpha: 5, a: 0.9, b: 3 }, Array.from({ length: 3_000 }, () => 20 + random() * 30), random, 1 / 7);

  it('BG/NBD: equals the numeric gradient, with and without repeat buyers', () => {
    const data = aggregateSummaries(customers);
    for (const at of [[0.8, 5, 0.9, 3], [2.1, 11, 0.2, 7.5], [0.3, 1.5, 3, 0.6]]) {
      const [r, alpha, a, b] = at as [number, number, number, number];
      const analytic = bgNbdLogLikelihoodWithGradient({ r, alpha, a, b }, data).gradient;
      const numeric = numericGradient(([r2, al2, a2, b2]) => bgNbdLogLikelihoodWithGradient({ r: r2!, alpha: al2!, a: a2!, b: b2! }, data).value, at);
      analytic.forEach((g, k) => expect(relativeError(g, numeric[k] ?? NaN)).toBeLessThan(1e-4));
    }
  });

  it('Gamma-Gamma: equals the numeric gradient', () => {
    const spend = simulateGammaGammaSpend({ p: 6, q: 3.7, gamma: 15 }, customers.map((c) => c.x), random).filter((s) => s.x > 0);
    const data = {
      x: Float64Array.from(spend, (s) => s.x),
      logX: Float64Array.from(spend, (s) => Math.log(s.x)),
      m: Float64Array.from(spend, (s) => s.meanValue),
      logM: Float64Array.from(spend, (s) => Math.log(s.meanValue)),
    };
    for (const at of [[6, 3.7, 15], [1.2, 9, 80], [20, 1.5, 2]]) {
      const [p, q, gamma] = at as [number, number, number];
      const analytic = gammaGammaLogLikelihoodWithGradient({ p, q, gamma }, data).gradient;
      const numeric = numericGradient(([p2, q2, g2]) => gammaGammaLogLikelihoodWithGradient({ p: p2!, q: q2!, gamma: g2! }, data).value, at);
      analytic.forEach((g, k) => expect(relativeError(g, numeric[k] ?? NaN)).toBeLessThan(1e-4));
    }
  });
});

describe('minimizeBfgs', () => {
  it("finds Rosenbrock's minimum in few evaluations", () => {
    const rosenbrock = ([x = NaN, y = NaN]: readonly number[]) => ({
      value: 100 * (y - x * x) ** 2 + (1 - x) ** 2,
      gradient: [-400 * x * (y - x * x) - 2 * (1 - x), 200 * (y - x * x)],
    });
    const result = minimizeBfgs(rosenbrock, [-1.2, 1]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(result.x[1]).toBeCloseTo(1, 5);
    expect(result.evaluations).toBeLessThan(200);
  });

  it('reports a start where the objective is not finite as not converged', () => {
    expect(minimizeBfgs(() => ({ value: NaN, gradient: [0] }), [0]).converged).toBe(false);
  });
});
