import Decimal from 'decimal.js';
import { z } from 'zod';
import { CurrencyCode } from './values';

/**
 * Money arithmetic is exact: amounts are decimal strings on the wire and `numeric` in PostgreSQL, and
 * every sum, discount and tax goes through this Decimal (never a JavaScript number).
 */
export const Money$ = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
export type Amount = Decimal;

const decimalsByCurrency = new Map<string, number>();

/** The minor units ISO 4217 gives a currency (JPY 0, CNY 2, KWD 3), as the runtime's ICU data knows them. */
export function currencyDecimals(currency: string): number {
  // Remembered per code: building an Intl.NumberFormat per amount dominated bulk validation.
  let decimals = decimalsByCurrency.get(currency);
  if (decimals === undefined) {
    try {
      decimals = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      decimals = 2;
    }
    if (decimalsByCurrency.size < 1000) decimalsByCurrency.set(currency, decimals);
  }
  return decimals;
}

const DECIMAL = /^-?\d{1,15}(\.\d{1,4})?$/;

/** Rounds to the currency's minor unit (half to even, as accountants do). */
export const roundToCurrency = (amount: Decimal.Value, currency: string): string =>
  new Money$(amount).toDecimalPlaces(currencyDecimals(currency), Decimal.ROUND_HALF_EVEN).toFixed(currencyDecimals(currency));

/**
 * An amount of money that the currency can hold: a decimal string (no float) with no more fraction
 * digits than the currency's minor unit allows (`"12.345"` CNY is refused, `"100"` JPY is fine).
 */
export const CurrencyMoney = z
  .strictObject({
    amount: z.string().regex(DECIMAL, 'must be a decimal string like "123.45" (at most 15 digits before the point)'),
    currency: CurrencyCode,
  })
  .superRefine(({ amount, currency }, ctx) => {
    const decimals = currencyDecimals(currency);
    const given = amount.split('.')[1]?.length ?? 0;
    if (DECIMAL.test(amount) && given > decimals) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `${currency} allows ${decimals} decimal place${decimals === 1 ? '' : 's'}; "${amount}" has ${given}` });
    }
  })
  .meta({ id: 'CurrencyMoney' });
export type CurrencyMoney = z.infer<typeof CurrencyMoney>;

/** A non-negative amount (prices, quantities of money); a refund is a return, never a negative price. */
export const NonNegativeMoney = CurrencyMoney.refine((money) => !money.amount.startsWith('-'), { path: ['amount'], message: 'must not be negative' });
