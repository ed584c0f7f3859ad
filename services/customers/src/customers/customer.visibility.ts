import type { Principal } from '@crm/domain';
import { dealerScope, problem, Problems } from '@crm/platform';
import { CustomerProblems } from './customer.problems';
import { customerRepository, type CustomerRow, type Db } from './customers.repository';

/**
 * Row scope: which customers a principal may see. Whether it may call a route at all is the route's
 * `config.access` (src/access.ts); a dealer that asks for another dealer's customer gets a 404, never a 403.
 */

/**
 * The one answer for a customer the principal may not see, whatever the reason (absent, another
 * dealer's, merged into another dealer's): a dealer cannot tell them apart.
 */
export const notFoundMessage = (id: string): string => `customer ${id} does not exist`;

/** A customer the principal may see, or 404 (a dealer never learns another dealer's customers exist). */
export function visible(row: CustomerRow | undefined, principal: Principal, id: string): CustomerRow {
  const scope = dealerScope(principal);
  if (!row || (scope && row.dealer_id !== scope)) throw problem(Problems.notFound, notFoundMessage(id));
  return row;
}

export function active(row: CustomerRow): CustomerRow {
  if (row.status === 'merged') throw problem(CustomerProblems.customerMerged, `customer ${row.id} was merged into ${row.merged_into}`, { survivorId: row.merged_into });
  if (row.status === 'erased') throw problem(CustomerProblems.customerErased, `customer ${row.id} was erased`);
  return row;
}

/** Which of these merge survivors the principal may be told about: a dealer only its own customers. */
export async function revealableSurvivors(db: Db, survivorIds: string[], principal: Principal): Promise<Set<string>> {
  const scope = dealerScope(principal);
  if (!scope) return new Set(survivorIds);
  return new Set(await customerRepository.idsOfDealer(db, survivorIds, scope));
}

/** A merged customer whose survivor the dealer may not see is, to that dealer, a customer that does not exist. */
export async function withRevealableSurvivor(db: Db, row: CustomerRow, principal: Principal): Promise<CustomerRow> {
  if (row.status === 'merged' && !(row.merged_into && (await revealableSurvivors(db, [row.merged_into], principal)).has(row.merged_into))) {
    throw problem(Problems.notFound, notFoundMessage(row.id));
  }
  return row;
}

export type Resolved = { kind: 'found'; row: CustomerRow } | { kind: 'moved'; survivorId: string };

/** What a read of a customer or its sub-resource answers: the value, or the survivor a merged id moved to (308). */
export type ReadResult<T> = { kind: 'found'; value: T } | { kind: 'moved'; survivorId: string };

/** A customer by id for reading: merged ones answer with where they moved (the route redirects). */
export async function resolveCustomer(db: Db, id: string, principal: Principal): Promise<Resolved> {
  const row = await withRevealableSurvivor(db, visible(await customerRepository.findById(db, id), principal, id), principal);
  if (row.status === 'merged' && row.merged_into) return { kind: 'moved', survivorId: row.merged_into };
  if (row.status === 'erased') throw problem(CustomerProblems.customerErased, `customer ${id} was erased`);
  return { kind: 'found', row };
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
  const rows = await customerRepository.dealersOf(db, [...ids]);
  const foreign = new Set(rows.filter((r) => r.dealer_id !== scope).map((r) => r.id));
  if (foreign.size === 0) return value;
  return JSON.parse(JSON.stringify(value), (_, v: unknown) => (typeof v === 'string' && foreign.has(v.toLowerCase()) ? null : v)) as T;
}
