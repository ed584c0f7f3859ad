import { sql, type RawBuilder } from 'kysely';
import type { SalesDb } from '../db/tables';

/** Every statement on the projected exchange rates. */
export const exchangeRateRepository = Object.freeze({
  /** Applies an announced rate unless a later version of the same pair is already held (events may arrive out of order). */
  async set(db: SalesDb, rate: { baseCurrency: string; currency: string; rate: string; version: number; setAt: string }) {
    await db
      .insertInto('exchange_rate')
      .values({ base_currency: rate.baseCurrency, currency: rate.currency, rate: rate.rate, version: rate.version, set_at: rate.setAt })
      .onConflict((oc) =>
        oc
          .columns(['base_currency', 'currency'])
          .doUpdateSet({ rate: rate.rate, version: rate.version, set_at: rate.setAt })
          .where('exchange_rate.version', '<', rate.version),
      )
      .execute();
  },

  async rateOf(db: SalesDb, baseCurrency: string, currency: string): Promise<string | undefined> {
    const row = await db.selectFrom('exchange_rate').select('rate').where('base_currency', '=', baseCurrency).where('currency', '=', currency).executeTakeFirst();
    return row?.rate;
  },
});

/**
 * The SQL side of the conversion, for set-based reports: `amount × rate` in the base currency (unrounded;
 * round the sums), null when no rate is known; the base currency is its own rate. Join the rates with
 * `exchangeRateJoin` under the alias given here.
 */
export function amountInBaseSql(amount: RawBuilder<unknown>, currency: RawBuilder<unknown>, baseCurrency: string, rateAlias = 'fx'): RawBuilder<string | null> {
  return sql<string | null>`(${amount} * case when ${currency} = ${baseCurrency} then 1 else ${sql.ref(`${rateAlias}.rate`)} end)`;
}

/** `left join sales.exchange_rate <alias> on …` for a currency column: put it in a FROM of a raw report statement. */
export function exchangeRateJoin(currency: RawBuilder<unknown>, baseCurrency: string, rateAlias = 'fx'): RawBuilder<unknown> {
  return sql`left join sales.exchange_rate ${sql.id(rateAlias)} on ${sql.ref(`${rateAlias}.base_currency`)} = ${baseCurrency} and ${sql.ref(`${rateAlias}.currency`)} = ${currency}`;
}
