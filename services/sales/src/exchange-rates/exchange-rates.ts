import { Money$, roundToCurrency, ScoringEvents } from '@crm/domain';
import { eventHandlersFor, type EventHandler } from '@crm/platform';
import type { SalesDatabase, SalesDb } from '../db/tables';
import { exchangeRateRepository } from './exchange-rates.repository';

export { amountInBaseSql, exchangeRateJoin } from './exchange-rates.repository';

export interface ExchangeRates {
  /** The sales base currency every report is in. */
  readonly baseCurrency: string;
  /** `amount` of `currency` in the base currency, rounded to it; null when no rate is known. */
  toBase(executor: SalesDb, amount: string, currency: string): Promise<string | null>;
}

/**
 * Conversion to the sales base currency at the rates scoring sets (projected from
 * crm.scoring.exchange-rate.set.v1). Only rates into this base count: a rate scoring set against another
 * base is kept but not used.
 */
export function createExchangeRates(deps: { baseCurrency: string }): ExchangeRates {
  const { baseCurrency } = deps;
  return Object.freeze({
    baseCurrency,
    async toBase(executor: SalesDb, amount: string, currency: string): Promise<string | null> {
      if (currency === baseCurrency) return roundToCurrency(amount, baseCurrency);
      const rate = await exchangeRateRepository.rateOf(executor, baseCurrency, currency);
      return rate === undefined ? null : roundToCurrency(new Money$(amount).times(rate), baseCurrency);
    },
  });
}

/** The projection's handler: add it to a consumer of `crm.scoring`. */
export function exchangeRateConsumerHandlers(): Record<string, EventHandler> {
  const on = eventHandlersFor<SalesDatabase>();
  return on(ScoringEvents.exchangeRateSet, async (trx, rate) => exchangeRateRepository.set(trx, rate));
}
