import {
  bgNbdExpectedTransactions,
  bgNbdLogLikelihood,
  bgNbdProbabilityAlive,
  hyp2f1,
  type BgNbdParams,
  type CustomerSummary,
} from '../src/clv';

const params: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** Paper eq. 6 by plain products: Γ(r+x)/Γ(r) = Π(r+j), B(a, b+x)/B(a, b) = Π(b+j)/(a+b+j). Small x only. */
function naiveLikelihood({ r, alpha, a, b }: BgNbdParams, { x, tx, T }: CustomerSummary): number {
  let gammaRatio = 1;
  let stayRatio = 1; // B(a, b+x) / B(a, b)
  for (let j = 0; j < x; j++) {
    gammaRatio *= r + j;
    stayRatio *= (b + j) / (a + b + j);
  }
  // B(a+1, b+x−1) / B(a, b) = a · Π_{j<x−1}(b+j) / Π_{j<x}(a+b+j)
  let dropRatio = a;
  for (let j = 0; j < x - 1; j++) dropRatio *= b + j;
  for (let j = 0; j < x; j++) dropRatio /= a + b + j;
  const alive = stayRatio * gammaRatio * alpha ** r / (alpha + T) ** (r + x);
  const dropped = x > 0 ? dropRatio * gammaRatio * alpha ** r / (alpha + tx) ** (r + x) : 0;
  return alive + dropped;
}

/** Paper eq. 10 exactly as printed, with the plain 2F1 series: fine for small x, overflows for large x. */
function eq10AsPrinted({ r, alpha, a, b }: BgNbdParams, { x, tx, T }: CustomerSummary, t: number): number {
  const z = t / (alpha + T + t);
  const bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
  const denominator = 1 + (x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 0);
  return ((a + b + x - 1) / (a - 1)) * bracket / denominator;
}

describe('bgNbdLogLikelihood', () => {
  const cases: CustomerSummary[] = [
    { x: 0, tx: 0, T: 38.86 },
    { x: 1, tx: 2.5, T: 30 },
    { x: 2, tx: 30.43, T: 38.86 },
    { x: 7, tx: 12, T: 12.5 },
    { x: 4, tx: 0.3, T: 52 },
  ];
  const paramSets: BgNbdParams[] = [params, { r: 2, alpha: 0.5, a: 3, b: 0.4 }, { r: 0.05, alpha: 40, a: 1, b: 1 }];

  it('matches a direct evaluation of eq. 6 on small inputs', () => {
    for (const p of paramSets) {
      for (const c of cases) expect(bgNbdLogLikelihood(p, c)).toBeCloseTo(Math.log(naiveLikelihood(p, c)), 10);
    }
  });

  it('stays finite where the direct formula overflows or underflows', () => {
    const extremes: CustomerSummary[] = [
      { x: 1_000_000, tx: 900_000, T: 1_000_000 },
      { x: 5_000, tx: 1, T: 1e7 },
      { x: 0, tx: 0, T: 1e12 },
      { x: 300, tx: 0, T: 0 },
    ];
    const extremeParams: BgNbdParams[] = [params, { r: 1e-6, alpha: 1e6, a: 1e-6, b: 1e6 }, { r: 1e4, alpha: 1e-6, a: 1e3, b: 1e-5 }];
    for (const p of extremeParams) {
      for (const c of extremes) expect(Number.isFinite(bgNbdLogLikelihood(p, c))).toBe(true);
    }
    // Π(r+j) overflows and (α+T)^(r+x) too: the direct route gives ∞/∞.
    expect(Number.isFinite(Math.log(naiveLikelihood(params, { x: 1_000, tx: 900, T: 1_000 })))).toBe(false);
    expect(Number.isFinite(bgNbdLogLikelihood(params, { x: 1_000, tx: 900, T: 1_000 }))).toBe(true);
  });

  it('is 0 for a customer observed for no time at all (the first purchase is given)', () => {
    expect(bgNbdLogLikelihood(params, { x: 0, tx: 0, T: 0 })).toBe(0);
  });
});

describe('bgNbdProbabilityAlive', () => {
  it('is 1 without repeat purchases: the model only lets customers drop out right after one', () => {
    expect(bgNbdProbabilityAlive(params, { x: 0, tx: 0, T: 5 })).toBe(1);
    expect(bgNbdProbabilityAlive(params, { x: 0, tx: 0, T: 5_000 })).toBe(1);
  });

  it('falls the longer a repeat customer has been silent and rises with recency', () => {
    let previous = 1;
    for (const T of [10, 11, 15, 25, 50, 100]) {
      const p = bgNbdProbabilityAlive(params, { x: 3, tx: 10, T });
      expect(p).toBeLessThan(previous);
      previous = p;
    }
    expect(bgNbdProbabilityAlive(params, { x: 3, tx: 30, T: 40 })).toBeGreaterThan(
      bgNbdProbabilityAlive(params, { x: 3, tx: 5, T: 40 }),
    );
  });

  it('equals 1 / (1 + a/(b+x−1)) when the last purchase was just now, and tends to 0 without NaN', () => {
    expect(bgNbdProbabilityAlive(params, { x: 4, tx: 20, T: 20 })).toBeCloseTo(1 / (1 + params.a / (params.b + 3)), 14);
    const gone = bgNbdProbabilityAlive(params, { x: 5_000, tx: 1, T: 1e6 });
    expect(gone).toBeGreaterThanOrEqual(0);
    expect(gone).toBeLessThan(1e-300);
  });
});

describe('bgNbdExpectedTransactions', () => {
  const customer = { x: 3, tx: 20, T: 30 };

  it('is 0 at t = 0 and increases with t', () => {
    expect(bgNbdExpectedTransactions(params, customer, 0)).toBe(0);
    let previous = 0;
    for (const t of [0.01, 1, 5, 26, 52, 104, 520]) {
      const expected = bgNbdExpectedTransactions(params, customer, t);
      expect(expected).toBeGreaterThan(previous);
      previous = expected;
    }
  });

  it('agrees with eq. 10 as printed where that is computable', () => {
    const inputs: Array<[BgNbdParams, CustomerSummary, number]> = [
      [params, { x: 2, tx: 30.43, T: 38.86 }, 39],
      [params, { x: 0, tx: 0, T: 38.86 }, 52],
      [{ r: 2, alpha: 0.5, a: 3, b: 0.4 }, { x: 5, tx: 9, T: 10 }, 4],
      [{ r: 0.8, alpha: 10, a: 0.4, b: 6 }, { x: 10, tx: 30, T: 52 }, 26],
    ];
    for (const [p, c, t] of inputs) {
      const expected = eq10AsPrinted(p, c, t);
      expect(Math.abs(bgNbdExpectedTransactions(p, c, t) - expected)).toBeLessThan(1e-10 * Math.max(1, expected));
    }
  });

  it('approaches P(alive) · (a+b+x−1)/(a−1), the expected purchases before dropping out, as t grows (a > 1)', () => {
    const p = { r: 0.5, alpha: 10, a: 2.5, b: 4 };
    const limit = (bgNbdProbabilityAlive(p, customer) * (p.a + p.b + customer.x - 1)) / (p.a - 1);
    const far = bgNbdExpectedTransactions(p, customer, 20_000);
    expect(far).toBeLessThan(limit);
    expect(far / limit).toBeGreaterThan(0.999);
  });

  it('is smooth through a = 1, where eq. 10 as printed is 0/0', () => {
    const at = (a: number) => bgNbdExpectedTransactions({ ...params, a }, customer, 39);
    expect(Number.isFinite(at(1))).toBe(true);
    expect(at(1)).toBeCloseTo((at(1 - 1e-6) + at(1 + 1e-6)) / 2, 9);
    expect(Number.isFinite(eq10AsPrinted({ ...params, a: 1 }, customer, 39))).toBe(false);
  });

  it('stays finite for heavy buyers where the printed 2F1 overflows', () => {
    const heavy = { x: 2_000, tx: 100, T: 100 };
    const t = 52;
    const expected = bgNbdExpectedTransactions(params, heavy, t);
    // Posterior mean rate (r+x)/(α+T) ≈ 19 a week bounds it from above; dropout after each purchase has
    // posterior mean a/(a+b+x) ≈ 0.0004, so over ~1,000 purchases well over half are still expected.
    const rate = (params.r + heavy.x) / (params.alpha + heavy.T);
    expect(expected).toBeLessThan(rate * t);
    expect(expected).toBeGreaterThan(0.5 * rate * t);
    expect(Number.isFinite(eq10AsPrinted(params, heavy, t))).toBe(false);
  });
});
