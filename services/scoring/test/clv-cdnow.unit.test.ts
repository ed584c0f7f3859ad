import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  aggregateSummaries,
  bgNbdExpectedTransactions,
  bgNbdTotalLogLikelihood,
  bgNbdProbabilityAlive,
  calibrationSpendSummary,
  calibrationSummary,
  fitBgNbd,
  fitGammaGamma,
  gammaGammaExpectedSpend,
  gammaGammaPopulationMean,
  type Purchase,
} from '../src/clv';

// CDNOW sample (2,357 customers): master id, sample id, date YYYYMMDD, number of CDs, dollar value.
const CDNOW = path.resolve(__dirname, 'fixtures/cdnow/CDNOW_sample.txt');
const CALIBRATION_END = '1997-09-30';

function purchasesByCustomer(): Purchase[][] {
  const customers = new Map<string, Purchase[]>();
  for (const line of readFileSync(CDNOW, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const [, id, date, , dollars] = line.trim().split(/\s+/);
    if (!id || !date || dollars === undefined) throw new Error(`unexpected line: ${line}`);
    const purchase = { date: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`, value: Number(dollars) };
    customers.set(id, [...(customers.get(id) ?? []), purchase]);
  }
  return [...customers.values()];
}

const customers = purchasesByCustomer();
const summaries = customers.flatMap((purchases) => calibrationSummary(purchases.map((p) => p.date), CALIBRATION_END, 'weeks') ?? []);
const spend = customers.flatMap((purchases) => calibrationSpendSummary(purchases, CALIBRATION_END) ?? []);
const round = (value: number, decimals: number) => Number(value.toFixed(decimals));

describe('BG/NBD on CDNOW (Fader, Hardie & Lee 2005)', () => {
  const fit = fitBgNbd(summaries);

  it('summarises the published 39-week calibration sample', () => {
    expect(summaries).toHaveLength(2357);
    // The paper's first customer: 2 repeat purchases, the last at 30.43 weeks, T = 38.86 weeks.
    expect(summaries[0]).toEqual({ x: 2, tx: 213 / 7, T: 272 / 7 });
  });

  it('reproduces the published maximum-likelihood estimates and log-likelihood', () => {
    expect(fit.converged).toBe(true);
    expect(fit.sampleSize).toBe(2357);
    expect(round(fit.params.r, 3)).toBe(0.243);
    expect(round(fit.params.alpha, 3)).toBe(4.414);
    expect(round(fit.params.a, 3)).toBe(0.793);
    expect(round(fit.params.b, 3)).toBe(2.426);
    expect(round(fit.logLikelihood, 1)).toBe(-9582.4);
  });

  it('is a maximum: nudging any parameter by 0.1% lowers the likelihood', () => {
    const data = aggregateSummaries(summaries);
    expect(bgNbdTotalLogLikelihood(fit.params, data)).toBeCloseTo(fit.logLikelihood, 9);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      for (const factor of [0.999, 1.001]) {
        const nudged = { ...fit.params, [key]: fit.params[key] * factor };
        expect(bgNbdTotalLogLikelihood(nudged, data)).toBeLessThan(fit.logLikelihood);
      }
    }
  });

  it("matches the paper's worked example: E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226", () => {
    const published = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const customer = { x: 2, tx: 30.43, T: 38.86 };
    expect(round(bgNbdExpectedTransactions(published, customer, 39), 3)).toBe(1.226);
    expect(round(bgNbdExpectedTransactions(fit.params, customer, 39), 3)).toBe(1.226);
  });

  it('ranks an equally frequent but long-silent customer as less likely alive', () => {
    const recent = bgNbdProbabilityAlive(fit.params, { x: 5, tx: 38, T: 38.86 });
    const silent = bgNbdProbabilityAlive(fit.params, { x: 5, tx: 10, T: 38.86 });
    expect(silent).toBeLessThan(recent);
    expect(bgNbdExpectedTransactions(fit.params, { x: 5, tx: 10, T: 38.86 }, 39)).toBeLessThan(
      bgNbdExpectedTransactions(fit.params, { x: 5, tx: 38, T: 38.86 }, 39),
    );
  });
});

describe('Gamma-Gamma on CDNOW (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value")', () => {
  const fit = fitGammaGamma(spend);

  it('fits the 946 customers with a repeat purchase to the published estimates', () => {
    // Mean spend per repeat purchase day, as in the note and in lifetimes' CDNOW monetary data set,
    // which report p = 6.25, q = 3.74, γ = 15.44 (CLVTools' test also pins the log-likelihood, −4055.9177).
    expect(fit.converged).toBe(true);
    expect(fit.sampleSize).toBe(946);
    expect(round(fit.params.p, 2)).toBe(6.25);
    expect(round(fit.params.q, 2)).toBe(3.74);
    expect(round(fit.params.gamma, 2)).toBe(15.44);
    expect(round(fit.logLikelihood, 1)).toBe(-4055.9);
  });

  it('shrinks a customer’s mean spend toward the population mean, less so with more purchases', () => {
    const population = gammaGammaPopulationMean(fit.params);
    // The estimated population mean sits near the sample's average repeat spend.
    const repeaters = spend.filter((s) => s.x > 0);
    const sampleMean = repeaters.reduce((sum, s) => sum + s.meanValue, 0) / repeaters.length;
    expect(Math.abs(population - sampleMean) / sampleMean).toBeLessThan(0.15);

    for (const meanValue of [5, population, 120]) {
      let previousDistance = Infinity;
      for (const x of [1, 2, 5, 20, 100]) {
        const expected = gammaGammaExpectedSpend(fit.params, { x, meanValue });
        expect(expected).toBeGreaterThanOrEqual(Math.min(population, meanValue) - 1e-9);
        expect(expected).toBeLessThanOrEqual(Math.max(population, meanValue) + 1e-9);
        const distance = Math.abs(expected - meanValue);
        if (meanValue !== population) expect(distance).toBeLessThan(previousDistance);
        previousDistance = distance;
      }
    }
  });
});
