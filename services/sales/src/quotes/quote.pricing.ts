import { Money$, roundToCurrency } from '@crm/domain';

/** A line's net amount: quantity × unit price less its discount, rounded to the currency. */
export function lineAmount(unitPrice: string, quantity: number, discountPercent: number, currency: string): string {
  const gross = new Money$(unitPrice).times(quantity);
  return roundToCurrency(gross.minus(gross.times(discountPercent).dividedBy(100)), currency);
}

export interface QuoteTotals {
  /** The lines' net amounts (after line discounts). */
  subtotal: string;
  /** The header discount off the subtotal. */
  discount: string;
  /** Tax on what remains after the header discount. */
  tax: string;
  /** subtotal − discount + tax. */
  total: string;
}

/** Header discount, then tax, each rounded to the currency: exact decimals, never floats. */
export function quoteTotals(lineAmounts: readonly string[], headerDiscountPercent: number, taxPercent: number, currency: string): QuoteTotals {
  const subtotal = roundToCurrency(lineAmounts.reduce((sum, amount) => sum.plus(amount), new Money$(0)), currency);
  const discount = roundToCurrency(new Money$(subtotal).times(headerDiscountPercent).dividedBy(100), currency);
  const taxable = new Money$(subtotal).minus(discount);
  const tax = roundToCurrency(taxable.times(taxPercent).dividedBy(100), currency);
  return { subtotal, discount, tax, total: roundToCurrency(taxable.plus(tax), currency) };
}

/**
 * The header discount spread over the lines in proportion to their amounts (the last line takes the
 * rounding remainder), so that an order copied from the quote sums exactly to subtotal − discount.
 */
export function spreadHeaderDiscount(lineAmounts: readonly string[], discount: string, currency: string): string[] {
  const subtotal = lineAmounts.reduce((sum, amount) => sum.plus(amount), new Money$(0));
  if (subtotal.isZero() || new Money$(discount).isZero()) return lineAmounts.map(() => roundToCurrency(0, currency));
  const shares = lineAmounts.map((amount) => roundToCurrency(new Money$(discount).times(amount).dividedBy(subtotal), currency));
  const spread = shares.slice(0, -1).reduce((sum, share) => sum.plus(share), new Money$(0));
  shares[shares.length - 1] = roundToCurrency(new Money$(discount).minus(spread), currency);
  return shares;
}

/** The discount a line really gets once the header discount applies on top of its own, in percent. */
export function effectiveDiscountPercent(lineDiscountPercent: number, headerDiscountPercent: number): string {
  return new Money$(100).minus(new Money$(100).minus(lineDiscountPercent).times(new Money$(100).minus(headerDiscountPercent)).dividedBy(100)).toString();
}

/** What one unit sells for after both discounts (for below-cost checks), unrounded. */
export function netUnitPrice(unitPrice: string, lineDiscountPercent: number, headerDiscountPercent: number): string {
  return new Money$(unitPrice).times(new Money$(100).minus(effectiveDiscountPercent(lineDiscountPercent, headerDiscountPercent))).dividedBy(100).toString();
}
