import { sql, type Selectable } from 'kysely';
import type { ExchangeRateTable, ScoringDb } from '../db/tables';

export type ExchangeRateRow = Selectable<ExchangeRateTable>;

/** Every query on `exchange_rate`: units of the base currency per unit of a currency. */
export const exchangeRatesRepository = Object.freeze({
  /** The rate, locked for the rest of the transaction (a concurrent write waits and sees this one's version). */
  async findForUpdate(trx: ScoringDb, currency: string): Promise<ExchangeRateRow | undefined> {
    return trx.selectFrom('exchange_rate').selectAll().where('currency', '=', currency).forUpdate().executeTakeFirst();
  },

  /** Sets the rate; a rate set before gets the next version. */
  async upsert(trx: ScoringDb, currency: string, rate: string): Promise<ExchangeRateRow> {
    return trx
      .insertInto('exchange_rate')
      .values({ currency, rate })
      .onConflict((oc) => oc.column('currency').doUpdateSet({ rate, version: sql`exchange_rate.version + 1`, updated_at: sql`now()` }))
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async list(db: ScoringDb): Promise<ExchangeRateRow[]> {
    return db.selectFrom('exchange_rate').selectAll().orderBy('currency').execute();
  },

  /** Units of base currency per unit of each currency asked for (the base currency itself is 1). */
  async ratesFor(db: ScoringDb, currencies: string[], baseCurrency: string): Promise<Map<string, string>> {
    const rates = new Map<string, string>([[baseCurrency, '1']]);
    const wanted = currencies.filter((c) => c !== baseCurrency);
    if (wanted.length === 0) return rates;
    for (const row of await db.selectFrom('exchange_rate').select(['currency', 'rate']).where('currency', 'in', wanted).execute()) {
      rates.set(row.currency, row.rate);
    }
    return rates;
  },
});
