import type { Principal } from '@crm/domain';
import { authorize as authorizeRule, type AccessRule } from '@crm/platform';
import { sql, type RawBuilder } from 'kysely';
import { table } from '../db/scoring.repository';

export type Action = 'read' | 'ingest' | 'administer';

/** Batch jobs and ERP post sales, dealers only their own; rates and models are admin work. */
const rules: Record<Action, AccessRule> = {
  read: { staff: ['admin', 'sales', 'agent', 'marketing', 'analyst'], dealer: true, integration: true },
  ingest: { staff: ['admin', 'sales'], dealer: true, integration: true },
  administer: { staff: ['admin'], dealer: false, integration: false },
};

/** 403 when the principal's kind or role may not do this at all; another dealer's customer is a 404 instead. */
export function authorize(principal: Principal, action: Action): void {
  authorizeRule(principal, rules[action], action);
}

/**
 * Whether the customer in `customerIdColumn` is assigned to the dealer now: what a dealer may see of
 * transactions and reports (ADR 0008). The customer's current assignment decides, not the row's
 * `dealer_id` (who sold it): a customer moved to another dealer takes its history along, and a sale
 * another dealer or the ERP booked for a dealer's customer is part of that customer's history.
 */
export function assignedToDealer(customerIdColumn: string, dealerId: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(customerIdColumn)} in (select id from ${table('customer')} where dealer_id = ${dealerId}::uuid)`;
}
