import {
  bgNbdExpectedTransactions,
  bgNbdLifetimeValue,
  customerLifetimeValue,
  gammaGammaExpectedSpend,
  type BgNbdParams,
} from '../src/clv';

const bgNbd: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const gammaGamma = { p: 6.25, q: 3.74, gamma: 15.44 };
const customer = { x: 4, tx: 30, T: 38.86 };

describe('bgNbdLifetimeValue', () => {
  it('without discounting is expected purchases over the horizon times the spend', () => {
    const value = bgNbdLifetimeValue(bgNbd, customer, 40, { horizon: 52, discountRate: 0 });
    expect(value).toBeCloseTo(40 * bgNbdExpectedTransactions(bgNbd, customer, 52), 10);
  });

  it('discounts each period’s expected purchases by (1 + d)^i', () => {
    const byHand = [1, 2, 3].reduce((sum, i) => {
      const inPeriod = bgNbdExpectedTransactions(bgNbd, customer, i) - bgNbdExpectedTransactions(bgNbd, customer, i - 1);
      return sum + inPeriod / 1.1 ** i;
    }, 0);
    expect(bgNbdLifetimeValue(bgNbd, customer, 1, { horizon: 3, discountRate: 0.1 })).toBeCloseTo(byHand, 12);
  });

  it('grows with the horizon and shrinks as the discount rate rises', () => {
    const at = (horizon: number, discountRate: number) => bgNbdLifetimeValue(bgNbd, customer, 35, { horizon, discountRate });
    const horizons = [0, 1, 4, 13, 26, 52, 104, 260];
    horizons.slice(1).forEach((h, i) => expect(at(h, 0.01)).toBeGreaterThan(at(horizons[i] ?? NaN, 0.01)));
    expect(at(0, 0.01)).toBe(0);
    const rates = [0, 0.001, 0.01, 0.05, 0.2];
    rates.slice(1).forEach((d, i) => expect(at(52, d)).toBeLessThan(at(52, rates[i] ?? NaN)));
  });

  it('counts a final partial period and accepts periods longer than one time unit', () => {
    // Monthly discounting on a weekly model: 52 weeks are 12 periods of 52/12 weeks.
    const monthly = bgNbdLifetimeValue(bgNbd, customer, 1, { horizon: 52, discountRate: 0.01, periodLength: 52 / 12 });
    const byHand = Array.from({ length: 12 }, (_, k) => k + 1).reduce((sum, i) => {
      const [from, to] = [((i - 1) * 52) / 12, Math.min((i * 52) / 12, 52)];
      return sum + (bgNbdExpectedTransactions(bgNbd, customer, to) - bgNbdExpectedTransactions(bgNbd, customer, from)) / 1.01 ** i;
    }, 0);
    expect(monthly).toBeCloseTo(byHand, 12);
    const partial = bgNbdLifetimeValue(bgNbd, customer, 1, { horizon: 2.5, discountRate: 0 });
    expect(partial).toBeCloseTo(bgNbdExpectedTransactions(bgNbd, customer, 2.5), 12);
  });

  it('rejects a negative horizon, a non-positive period and a rate at or below −100%', () => {
    expect(() => bgNbdLifetimeValue(bgNbd, customer, 1, { horizon: -1, discountRate: 0 })).toThrow(RangeError);
    expect(() => bgNbdLifetimeValue(bgNbd, customer, 1, { horizon: 5, discountRate: 0, periodLength: 0 })).toThrow(RangeError);
    expect(() => bgNbdLifetimeValue(bgNbd, customer, 1, { horizon: 5, discountRate: -1 })).toThrow(RangeError);
  });
});

describe('customerLifetimeValue', () => {
  it('prices the BG/NBD purchases at the Gamma-Gamma expected spend', () => {
    const withSpend = { ...customer, meanValue: 55 };
    const spend = gammaGammaExpectedSpend(gammaGamma, withSpend);
    const options = { horizon: 52, discountRate: 0.002 };
    expect(customerLifetimeValue({ bgNbd, gammaGamma }, withSpend, options)).toBeCloseTo(
      bgNbdLifetimeValue(bgNbd, customer, spend, options),
      10,
    );
  });

  it('values a recently active customer above an otherwise identical lapsed one', () => {
    const options = { horizon: 52, discountRate: 0.002 };
    const active = customerLifetimeValue({ bgNbd, gammaGamma }, { x: 4, tx: 38, T: 38.86, meanValue: 40 }, options);
    const lapsed = customerLifetimeValue({ bgNbd, gammaGamma }, { x: 4, tx: 8, T: 38.86, meanValue: 40 }, options);
    expect(lapsed).toBeLessThan(active);
  });
});
