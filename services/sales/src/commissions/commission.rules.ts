import { Money$, roundToCurrency, type Amount } from '@crm/domain';
import type { CommissionTier } from './commission.tables';

/** The rate of a category in a tier (percent): the category's own, else the tier's default. */
export const rateOf = (tier: CommissionTier, category: string | null): number => (category !== null ? tier.categoryRates[category] : undefined) ?? tier.defaultRate;

/** The index of the tier a cumulative attainment falls in (below zero after clawbacks: the first). */
export function tierAt(tiers: readonly CommissionTier[], attainment: Amount): number {
  let index = 0;
  tiers.forEach((tier, i) => {
    if (attainment.greaterThanOrEqualTo(tier.fromAttainment)) index = i;
  });
  return index;
}

export interface CommissionableLine {
  lineNo: number;
  category: string | null;
  /** The order line's net amount, in the order's currency. */
  orderAmount: string;
  /** The same in the plan's currency, or null when it could not be converted. */
  base: string | null;
}

export interface AccruedLine {
  lineNo: number;
  category: string | null;
  orderAmount: string;
  base: string | null;
  /** 1-based. */
  tier: number;
  rate: number;
  splitPercent: number;
  amount: string | null;
}

/**
 * A payee's commission on an order's lines. Tiers are marginal: the part of a line that lifts the
 * payee's attainment in the period across a tier's threshold earns the higher tier's rate (the
 * accelerator), so such a line books one commission line per tier. amount = base × rate × split,
 * rounded to the plan's currency. A line that could not be converted is booked unconverted (no amount)
 * and does not count towards attainment.
 */
export function accrue(input: { tiers: readonly CommissionTier[]; splitPercent: number; currency: string; attainmentBefore: string; lines: readonly CommissionableLine[] }): AccruedLine[] {
  const { tiers, splitPercent, currency } = input;
  const booked: AccruedLine[] = [];
  let attainment = new Money$(input.attainmentBefore);
  const book = (line: CommissionableLine, tierIndex: number, base: string | null) => {
    const rate = rateOf(tiers[tierIndex]!, line.category);
    const amount = base === null ? null : roundToCurrency(new Money$(base).times(rate).times(splitPercent).dividedBy(10_000), currency);
    booked.push({ lineNo: line.lineNo, category: line.category, orderAmount: line.orderAmount, base, tier: tierIndex + 1, rate, splitPercent, amount });
  };
  for (const line of input.lines) {
    if (line.base === null) {
      book(line, tierAt(tiers, attainment), null);
      continue;
    }
    let remaining = new Money$(line.base);
    do {
      const index = tierAt(tiers, attainment);
      const next = tiers[index + 1];
      const room = next ? new Money$(next.fromAttainment).minus(attainment) : undefined;
      const portion = room && room.lessThan(remaining) ? room : remaining;
      book(line, index, roundToCurrency(portion, currency));
      attainment = attainment.plus(portion);
      remaining = remaining.minus(portion);
    } while (remaining.greaterThan(0));
  }
  return booked;
}

/**
 * What a return (or a cancellation, share 1) takes back of one accrual line: the returned share of the
 * order line, at the rate, tier and split the accrual had, negative.
 */
export function clawBack(accrual: { base: string | null; amount: string | null; orderAmount: string }, share: Amount, currencies: { order: string; plan: string }) {
  const negate = (value: string | null, currency: string) => {
    if (value === null) return null;
    const taken = roundToCurrency(new Money$(value).times(share).negated(), currency);
    // Never "-0.00".
    return new Money$(taken).isZero() ? roundToCurrency(0, currency) : taken;
  };
  return { orderAmount: negate(accrual.orderAmount, currencies.order)!, base: negate(accrual.base, currencies.plan), amount: negate(accrual.amount, currencies.plan) };
}
