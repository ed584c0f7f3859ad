import type { Principal } from '@crm/domain';
import { authorize as authorizeRule, dealerScope, problem, Problems, type AccessRule } from '@crm/platform';
import type { Db } from '../db/customer.repository';
import type { CustomerRow } from '../db/tables';

export { dealerScope } from '@crm/platform';

export type Action = 'read' | 'write' | 'merge' | 'erase' | 'administer';

/** Dealers and integrations read and write customers (dealers only their own); the rest is staff work. */
const rules: Record<Action, AccessRule> = {
  read: { staff: ['admin', 'sales', 'agent', 'marketing', 'analyst'], dealer: true, integration: true },
  write: { staff: ['admin', 'sales', 'agent', 'marketing'], dealer: true, integration: true },
  merge: { staff: ['admin', 'sales', 'agent'], dealer: false, integration: false },
  erase: { staff: ['admin'], dealer: false, integration: false },
  administer: { staff: ['admin'], dealer: false, integration: false },
};

/** 403 when the principal's kind or role may not do this at all; another dealer's customer is a 404 instead. */
export function authorize(principal: Principal, action: Action): void {
  authorizeRule(principal, rules[action], action);
}

/**
 * The one answer for a customer the principal may not see, whatever the reason (absent, another
 * dealer's, merged into another dealer's): a dealer cannot tell them apart.
 */
export const notFoundMessage = (id: string): string => `customer ${id} does not exist`;

/** Which of these merge survivors the principal may be told about: a dealer only its own customers. */
export async function revealableSurvivors(db: Db, survivorIds: string[], principal: Principal): Promise<Set<string>> {
  const scope = dealerScope(principal);
  if (!scope) return new Set(survivorIds);
  if (survivorIds.length === 0) return new Set();
  const rows = await db.selectFrom('customer').select('id').where('id', 'in', survivorIds).where('dealer_id', '=', scope).execute();
  return new Set(rows.map((r) => r.id));
}

/** A merged customer whose survivor the dealer may not see is, to that dealer, a customer that does not exist. */
export async function withRevealableSurvivor(db: Db, row: CustomerRow, principal: Principal): Promise<CustomerRow> {
  if (row.status === 'merged' && !(row.merged_into && (await revealableSurvivors(db, [row.merged_into], principal)).has(row.merged_into))) {
    throw problem(Problems.notFound, notFoundMessage(row.id));
  }
  return row;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * For a dealer: `value` with every id of a customer it may not see replaced by null (timeline entries
 * and exports carry ids of contacts and merged duplicates that staff may have linked across dealers).
 */
export async function withoutForeignCustomerIds<T>(db: Db, value: T, principal: Principal): Promise<T> {
  const scope = dealerScope(principal);
  if (!scope) return value;
  const ids = new Set<string>();
  JSON.stringify(value, (_, v: unknown) => {
    if (typeof v === 'string' && UUID.test(v)) ids.add(v.toLowerCase());
    return v;
  });
  if (ids.size === 0) return value;
  const rows = await db.selectFrom('customer').select(['id', 'dealer_id']).where('id', 'in', [...ids]).execute();
  const foreign = new Set(rows.filter((r) => r.dealer_id !== scope).map((r) => r.id));
  if (foreign.size === 0) return value;
  return JSON.parse(JSON.stringify(value), (_, v: unknown) => (typeof v === 'string' && foreign.has(v.toLowerCase()) ? null : v)) as T;
}
