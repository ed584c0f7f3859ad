import { aggregateSummaries, bgNbdExpectedTransactions, bgNbdTotalLogLikelihood, fitBgNbd, type BgNbdParams } from '../src/clv';
import { seededRandom, simulateBgNbd } from '../src/clv/clv.simulation';

const truth: BgNbdParams = { r: 0.5, alpha: 6, a: 0.9, b: 3 };

describe('BG/NBD on data simulated from known parameters', () => {
  it('recovers the parameters (20,000 customers observed for 26 to 52 weeks)', () => {
    const random = seededRandom(20_240_101);
    const ages = Array.from({ length: 20_000 }, () => 26 + 26 * random());
    const data = aggregateSummaries(simulateBgNbd(truth, ages, random));
    const fit = fitBgNbd(data);

    expect(fit.converged).toBe(true);
    // The maximum likelihood estimate can only beat the truth on the data it was fitted to.
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(bgNbdTotalLogLikelihood(truth, data));
    // Across seeds the sampling error at this size is a few % for r and α and up to ~15% for a and b.
    const relative = (key: keyof BgNbdParams) => Math.abs(fit.params[key] / truth[key] - 1);
    expect(relative('r')).toBeLessThan(0.1);
    expect(relative('alpha')).toBeLessThan(0.1);
    expect(relative('a')).toBeLessThan(0.3);
    expect(relative('b')).toBeLessThan(0.3);
  });

  it('predicts a new customer’s repeat purchases as the simulated process produces them', () => {
    // A customer just acquired (x = 0, T = 0) is a fresh draw from the population, so E[Y(t) | 0, 0, 0]
    // must match the mean repeat count of customers simulated for t.
    const random = seededRandom(99);
    for (const t of [4, 26, 104]) {
      const counts = simulateBgNbd(truth, new Array<number>(100_000).fill(t), random).map((c) => c.x);
      const mean = counts.reduce((sum, x) => sum + x, 0) / counts.length;
      const sd = Math.sqrt(counts.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (counts.length - 1));
      const standardError = sd / Math.sqrt(counts.length);
      expect(Math.abs(bgNbdExpectedTransactions(truth, { x: 0, tx: 0, T: 0 }, t) - mean)).toBeLessThan(4 * standardError);
    }
  });
});
