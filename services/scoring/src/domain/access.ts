import { sql, type RawBuilder } from 'kysely';
import { table } from '../db/scoring.repository';

/**
 * Whether the customer in `customerIdColumn` is assigned to the dealer now: what a dealer may see of
 * transactions and reports (ADR 0008). The customer's current assignment decides, not the row's
 * `dealer_id` (who sold it): a customer moved to another dealer takes its history along, and a sale
 * another dealer or the ERP booked for a dealer's customer is part of that customer's history.
 */
export function assignedToDealer(customerIdColumn: string, dealerId: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(customerIdColumn)} in (select id from ${table('customer')} where dealer_id = ${dealerId}::uuid)`;
}
