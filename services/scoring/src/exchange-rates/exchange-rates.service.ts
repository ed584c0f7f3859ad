import { ScoringEvents } from '@crm/domain';
import { etagOf, ifMatchHolds, problem, Problems, type Outbox } from '@crm/platform';
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
  /** Each new rate is announced (crm.scoring.exchange-rate.set.v1): other services convert with the rates set here. */
  outbox: Outbox;
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
        const written = view(await exchangeRatesRepository.upsert(trx, currency, rate));
        await deps.outbox.append(trx, ScoringEvents.exchangeRateSet, { currency, rate: written.rate, baseCurrency, version: written.version, setAt: written.updatedAt });
        return { rate: written, created: !current };
      });
    },
    async list() {
      return { baseCurrency, items: (await exchangeRatesRepository.list(db)).map(view) };
    },
  };
}
