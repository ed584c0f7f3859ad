import { etagOf, ifMatchHolds, problem, Problems } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { exchangeRatesRepository, type ExchangeRateRow } from './exchange-rates.repository';
import type { ExchangeRate } from './exchange-rates.schemas';

export interface ExchangeRateService {
  /** Sets a rate (If-Match checked when sent); `created` when the currency had none. */
  set(currency: string, rate: string, ifMatch: string | undefined): Promise<{ rate: ExchangeRate; created: boolean }>;
  list(): Promise<{ baseCurrency: string; items: ExchangeRate[] }>;
}

export function createExchangeRateService(deps: {
  db: ScoringDb;
  write: <T>(work: (trx: ScoringDb) => Promise<T>) => Promise<T>;
  /** Scores are computed in this currency (SCORING_BASE_CURRENCY); its rate is always 1. */
  baseCurrency: string;
}): ExchangeRateService {
  const { db, write, baseCurrency } = deps;
  const view = (row: ExchangeRateRow): ExchangeRate => ({
    currency: row.currency,
    rate: row.rate,
    baseCurrency,
    version: row.version,
    updatedAt: new Date(row.updated_at).toISOString(),
  });

  return {
    async set(currency, rate, ifMatch) {
      if (currency === baseCurrency) throw problem(Problems.unprocessable, `${baseCurrency} is the base currency: its rate is 1`);
      return write(async (trx) => {
        const current = await exchangeRatesRepository.findForUpdate(trx, currency);
        if (ifMatch !== undefined && (!current || !ifMatchHolds(ifMatch, current.version))) {
          throw problem(Problems.preconditionFailed, current ? `the current ETag is ${etagOf(current.version)}` : 'no rate is set yet');
        }
        return { rate: view(await exchangeRatesRepository.upsert(trx, currency, rate)), created: !current };
      });
    },
    async list() {
      return { baseCurrency, items: (await exchangeRatesRepository.list(db)).map(view) };
    },
  };
}
