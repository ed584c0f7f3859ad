import { approvalFor, type ApprovalRule, type QuoteFigures } from '../src/quotes/quote-approval.rules';
import { effectiveDiscountPercent, lineAmount, quoteTotals, spreadHeaderDiscount } from '../src/quotes/quote.pricing';

const line = (lineNo: number, unitPrice: string, discountPercent: number, unitCost: string | null = null) => ({ lineNo, sku: `S${lineNo}`, unitPrice, discountPercent, unitCost });
const quote = (overrides: Partial<QuoteFigures> = {}): QuoteFigures => ({ currency: 'CNY', total: '1000.00', headerDiscountPercent: 0, lines: [line(1, '100.00', 0)], ...overrides });
const rules: ApprovalRule[] = [
  { id: 'r-discount', name: 'Deep discount', position: 1, conditions: { discountPercentAbove: 20 }, chain: ['sales-manager', 'finance'] },
  { id: 'r-big', name: 'Big deal', position: 2, conditions: { totalAbove: [{ amount: '500000.00', currency: 'CNY' }] }, chain: ['finance'] },
  { id: 'r-cost', name: 'Below cost', position: 3, conditions: { belowCost: true }, chain: ['admin'] },
];

describe('quote pricing', () => {
  it('applies line discount, header discount and tax in exact decimals rounded to the currency', () => {
    expect(lineAmount('499.90', 3, 10, 'CNY')).toBe('1349.73');
    expect(lineAmount('0.10', 3, 0, 'CNY')).toBe('0.30');
    expect(quoteTotals(['1349.73', '0.30'], 5, 13, 'CNY')).toEqual({ subtotal: '1350.03', discount: '67.50', tax: '166.73', total: '1449.26' });
    expect(quoteTotals(['9000'], 10, 10, 'JPY')).toEqual({ subtotal: '9000', discount: '900', tax: '810', total: '8910' });
  });

  it('spreads the header discount over the lines so that they sum exactly', () => {
    const shares = spreadHeaderDiscount(['100.00', '100.00', '100.00'], '10.00', 'CNY');
    expect(shares).toEqual(['3.33', '3.33', '3.34']);
    expect(spreadHeaderDiscount(['5.00'], '0.00', 'CNY')).toEqual(['0.00']);
  });

  it('combines line and header discounts multiplicatively', () => {
    expect(effectiveDiscountPercent(10, 5)).toBe('14.5');
    expect(effectiveDiscountPercent(0, 0)).toBe('0');
  });
});

describe('approval rules', () => {
  it('approves at once when no rule matches, and says so', () => {
    expect(approvalFor(quote(), rules, null, false)).toEqual({ ruleId: null, chain: [], reasons: ['no approval rule matches'] });
  });

  it('takes the first matching rule by position and explains why', () => {
    const deep = approvalFor(quote({ total: '900000.00', lines: [line(1, '100.00', 25)] }), rules, null, false);
    expect(deep.ruleId).toBe('r-discount');
    expect(deep.chain).toEqual(['sales-manager', 'finance']);
    expect(deep.reasons[0]).toContain('rule "Deep discount" (position 1): discount 25% on line 1 (S1) is above 20%');
    // The header discount counts: 10 % on the line and 12 % on top is 20.8 %.
    expect(approvalFor(quote({ headerDiscountPercent: 12, lines: [line(1, '100.00', 10)] }), rules, null, false).ruleId).toBe('r-discount');
    const big = approvalFor(quote({ total: '500000.01' }), rules, null, false);
    expect(big).toMatchObject({ ruleId: 'r-big', chain: ['finance'] });
    expect(big.reasons[0]).toContain('total 500000.01 CNY is above 500000.00 CNY');
  });

  it('compares totals only in the same currency and checks cost in the line currency', () => {
    expect(approvalFor(quote({ currency: 'USD', total: '900000.00' }), rules, null, false).ruleId).toBeNull();
    const below = approvalFor(quote({ headerDiscountPercent: 10, lines: [line(1, '100.00', 5, '90.00')] }), rules, null, false);
    expect(below.ruleId).toBe('r-cost');
    expect(below.reasons[0]).toContain('line 1 (S1) sells at 85.5 below its unit cost 90.00');
    expect(approvalFor(quote({ lines: [line(1, '100.00', 5, '90.00')] }), rules, null, false).ruleId).toBeNull();
  });

  it('requires every condition of one rule', () => {
    const both: ApprovalRule = { id: 'r-both', name: 'Both', position: 1, conditions: { discountPercentAbove: 5, totalAbove: [{ amount: '100.00', currency: 'CNY' }] }, chain: ['admin'] };
    expect(approvalFor(quote({ total: '50.00', lines: [line(1, '100.00', 10)] }), [both], null, false).ruleId).toBeNull();
    expect(approvalFor(quote({ total: '150.00', lines: [line(1, '100.00', 10)] }), [both], null, false).ruleId).toBe('r-both');
  });

  it("puts the organisation's approver first for its buyer's quotes above its threshold", () => {
    const policy = { above: '10000.00', currency: 'CNY' };
    expect(approvalFor(quote({ total: '20000.00' }), rules, policy, true)).toMatchObject({ ruleId: null, chain: ['account:approver'] });
    expect(approvalFor(quote({ total: '20000.00' }), rules, policy, false).chain).toEqual([]);
    expect(approvalFor(quote({ total: '10000.00' }), rules, policy, true).chain).toEqual([]);
    const both = approvalFor(quote({ total: '600000.00' }), rules, policy, true);
    expect(both.chain).toEqual(['account:approver', 'finance']);
    expect(both.reasons).toHaveLength(2);
  });
});
