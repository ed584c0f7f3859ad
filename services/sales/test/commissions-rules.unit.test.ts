import { Money$ } from '@crm/domain';
import { accrue, clawBack, rateOf, tierAt } from '../src/commissions/commission.rules';

const tiers = [
  { fromAttainment: '0', defaultRate: 3, categoryRates: { accessories: 10 } },
  { fromAttainment: '1000000', defaultRate: 5, categoryRates: { accessories: 12 } },
];
const line = (lineNo: number, amount: string, category: string | null = 'cars', base: string | null = amount) => ({ lineNo, category, orderAmount: amount, base });

describe('commission accrual', () => {
  it('uses the category rate, else the default, of the tier the attainment is in', () => {
    expect(rateOf(tiers[0]!, 'accessories')).toBe(10);
    expect(rateOf(tiers[0]!, null)).toBe(3);
    expect(tierAt(tiers, new Money$('999999.99'))).toBe(0);
    expect(tierAt(tiers, new Money$('1000000'))).toBe(1);
    expect(tierAt(tiers, new Money$('-5'))).toBe(0);
  });

  it('books base × rate × split rounded to the currency', () => {
    expect(accrue({ tiers, splitPercent: 60, currency: 'CNY', attainmentBefore: '0', lines: [line(1, '800000.00'), line(2, '333.33', 'accessories')] })).toEqual([
      { lineNo: 1, category: 'cars', orderAmount: '800000.00', base: '800000.00', tier: 1, rate: 3, splitPercent: 60, amount: '14400.00' },
      // 333.33 × 10 % × 60 % = 19.9998
      { lineNo: 2, category: 'accessories', orderAmount: '333.33', base: '333.33', tier: 1, rate: 10, splitPercent: 60, amount: '20.00' },
    ]);
  });

  it('splits a line that crosses a tier threshold: the part above earns the accelerated rate', () => {
    const booked = accrue({ tiers, splitPercent: 100, currency: 'CNY', attainmentBefore: '800000.00', lines: [line(1, '400000.00'), line(2, '1000.00', 'accessories')] });
    expect(booked.map((b) => [b.lineNo, b.base, b.tier, b.rate, b.amount])).toEqual([
      [1, '200000.00', 1, 3, '6000.00'],
      [1, '200000.00', 2, 5, '10000.00'],
      [2, '1000.00', 2, 12, '120.00'],
    ]);
  });

  it('books unconverted lines without an amount and without counting them towards attainment', () => {
    const booked = accrue({ tiers, splitPercent: 100, currency: 'CNY', attainmentBefore: '999000.00', lines: [line(1, '5000000', 'cars', null), line(2, '2000.00')] });
    expect(booked.map((b) => [b.lineNo, b.base, b.tier, b.amount])).toEqual([
      [1, null, 1, null],
      [2, '1000.00', 1, '30.00'],
      [2, '1000.00', 2, '50.00'],
    ]);
  });

  it('claws back the returned share, negative, never "-0"', () => {
    expect(clawBack({ base: '800000.00', amount: '14400.00', orderAmount: '800000.00' }, new Money$('0.25'), { order: 'CNY', plan: 'CNY' })).toEqual({ orderAmount: '-200000.00', base: '-200000.00', amount: '-3600.00' });
    expect(clawBack({ base: null, amount: null, orderAmount: '9000' }, new Money$(1), { order: 'JPY', plan: 'CNY' })).toEqual({ orderAmount: '-9000', base: null, amount: null });
    expect(clawBack({ base: '0.00', amount: '0.00', orderAmount: '0.00' }, new Money$(1), { order: 'CNY', plan: 'CNY' })).toEqual({ orderAmount: '0.00', base: '0.00', amount: '0.00' });
  });
});
