import type { ColumnType } from 'kysely';

export interface ExchangeRateTables {
  /** Scoring's rates (crm.scoring.exchange-rate.set.v1): `amount × rate` in `currency` is the amount in `base_currency`. */
  exchange_rate: { base_currency: string; currency: string; rate: string; version: number; set_at: ColumnType<Date, Date | string, Date | string> };
}
