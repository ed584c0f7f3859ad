import { aggregateSummaries, fitBgNbd, type BgNbdParams } from '../src/clv';
import { seededRandom, simulateBgNbd } from '../src/clv/clv.simulation';

// How long the fit takes at a million customers is a benchmark (`pnpm bench:clv`), not a test.
describe('BG/NBD on a large base', () => {
  it('recovers the generating process from day-level histories of 200,000 customers', () => {
    const truth: BgNbdParams = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
    const random = seededRandom(200_000);
    // A CDNOW-like base: first purchases spread over 12 weeks, calibration ends 39 weeks after the first day,
    // times recorded in whole days (weeks as the unit).
    const ages = Array.from({ length: 200_000 }, () => (273 - Math.floor(random() * 84)) / 7);
    const customers = simulateBgNbd(truth, ages, random, 1 / 7);

    const data = aggregateSummaries(customers);
    const fit = fitBgNbd(data);

    expect(fit.sampleSize).toBe(200_000);
    expect(data.x.length).toBeLessThan(100_000); // day-level triples repeat a lot: that is what makes the fit fast
    expect(fit.converged).toBe(true);
    // Recording whole days merges same-day purchases and rounds times down, which biases the estimates a
    // little (α by about 6%); the model still finds the generating process.
    const relative = (key: keyof BgNbdParams) => Math.abs(fit.params[key] / truth[key] - 1);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(relative(key)).toBeLessThan(0.1);
  });
});
