import gammaln from '@stdlib/math-base-special-gammaln';
import {
  fitGammaGamma,
  gammaGammaExpectedSpend,
  gammaGammaLogLikelihood,
  gammaGammaPopulationMean,
  type GammaGammaParams,
} from '../src/clv';
import { seededRandom, simulateGammaGammaSpend } from '../src/clv/clv.simulation';

const params: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };

/**
 * Density of m̄ by integrating over the customer's rate ν: x·m̄ ~ Gamma(px, ν) given ν, ν ~ Gamma(q, γ).
 * Trapezoid rule in u = ln ν over a range wide enough to hold all the mass.
 */
function integratedDensity({ p, q, gamma }: GammaGammaParams, x: number, m: number): number {
  const logIntegrand = (u: number) => {
    const nu = Math.exp(u);
    const spend = Math.log(x) + p * x * Math.log(nu) + (p * x - 1) * Math.log(x * m) - nu * x * m - gammaln(p * x);
    const rate = q * Math.log(gamma) + (q - 1) * Math.log(nu) - gamma * nu - gammaln(q);
    return spend + rate + u; // + u: dν = ν du
  };
  const [from, to, steps] = [-25, 10, 20_000];
  const h = (to - from) / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) sum += (i === 0 || i === steps ? 0.5 : 1) * Math.exp(logIntegrand(from + i * h));
  return sum * h;
}

describe('gammaGammaLogLikelihood', () => {
  it('is the log of the spend density integrated over customer heterogeneity', () => {
    for (const [x, m] of [[1, 20], [3, 35.5], [12, 8]] as const) {
      expect(gammaGammaLogLikelihood(params, { x, meanValue: m })).toBeCloseTo(Math.log(integratedDensity(params, x, m)), 7);
    }
  });
});

describe('gammaGammaExpectedSpend', () => {
  const population = gammaGammaPopulationMean(params);

  it('is the population mean pγ/(q−1) without repeat purchases', () => {
    expect(population).toBeCloseTo((6.25 * 15.44) / 2.74, 12);
    expect(gammaGammaExpectedSpend(params, { x: 0, meanValue: 0 })).toBe(population);
  });

  it('lies between the population mean and m̄ and moves toward m̄ as x grows', () => {
    for (const meanValue of [3, 80]) {
      const values = [1, 2, 4, 8, 50, 1_000].map((x) => gammaGammaExpectedSpend(params, { x, meanValue }));
      for (const value of values) {
        expect(value).toBeGreaterThan(Math.min(population, meanValue));
        expect(value).toBeLessThan(Math.max(population, meanValue));
      }
      const distances = values.map((v) => Math.abs(v - meanValue));
      distances.slice(1).forEach((d, i) => expect(d).toBeLessThan(distances[i] ?? NaN));
      expect(distances.at(-1)).toBeLessThan(0.01 * Math.abs(population - meanValue));
    }
  });

  it('refuses q ≤ 1, where the population mean is infinite', () => {
    expect(() => gammaGammaExpectedSpend({ ...params, q: 0.9 }, { x: 2, meanValue: 10 })).toThrow(RangeError);
  });
});

describe('fitGammaGamma', () => {
  it('recovers the parameters it simulated from', () => {
    const random = seededRandom(7);
    const xs = Array.from({ length: 20_000 }, () => Math.floor(random() * 10));
    const fit = fitGammaGamma(simulateGammaGammaSpend(params, xs, random));
    expect(fit.converged).toBe(true);
    expect(fit.sampleSize).toBe(xs.filter((x) => x > 0).length);
    // q and γ are strongly correlated; the population mean they imply is pinned down much better.
    expect(Math.abs(fit.params.p / params.p - 1)).toBeLessThan(0.12);
    expect(Math.abs(fit.params.q / params.q - 1)).toBeLessThan(0.1);
    expect(Math.abs(fit.params.gamma / params.gamma - 1)).toBeLessThan(0.2);
    expect(Math.abs(gammaGammaPopulationMean(fit.params) / gammaGammaPopulationMean(params) - 1)).toBeLessThan(0.03);
  });

  it('skips customers without repeat purchases and rejects non-positive spend', () => {
    expect(() => fitGammaGamma([{ x: 0, meanValue: 0 }])).toThrow(/no customer/);
    expect(() => fitGammaGamma([{ x: 2, meanValue: 0 }])).toThrow(RangeError);
    expect(() => fitGammaGamma([{ x: 1.5, meanValue: 3 }])).toThrow(RangeError);
  });
});
