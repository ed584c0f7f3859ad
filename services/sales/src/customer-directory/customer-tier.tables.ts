import type { ColumnType } from 'kysely';

export interface CustomerTierTables {
  /** The customer's tier as scoring last announced it (lead rating and routing read it). */
  customer_tier: { customer_id: string; tier: string; changed_at: ColumnType<Date, Date | string, Date | string> };
}
