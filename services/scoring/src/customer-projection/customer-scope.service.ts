import type { Principal } from '@crm/domain';
import { dealerScope, problem, Problems } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { customerAliasRepository } from './customer-alias.repository';
import { customerRepository } from './customer.repository';

const noSuchCustomer = (customerId: string) => problem(Problems.notFound, `customer ${customerId} does not exist`);

/**
 * Where a request about a merged-away customer belongs: the same URL on its final survivor, which the
 * route answers with 308 (as the customers service does), so the client learns the id to use from now
 * on. Undefined for any other id. A dealer is sent only to a survivor of its own, else 404.
 */
export async function survivorLocation(db: ScoringDb, principal: Principal, customerId: string, url: string): Promise<string | undefined> {
  const survivorId = await customerAliasRepository.finalSurvivorOf(db, customerId);
  if (survivorId === customerId) return undefined;
  const scope = dealerScope(principal);
  if (scope && (await customerRepository.findAssignment(db, survivorId))?.dealerId !== scope) throw noSuchCustomer(customerId);
  return url.replace(`/v1/customers/${customerId}`, `/v1/customers/${survivorId}`);
}

/** A dealer sees only customers assigned to it: anyone else's (or an unknown id) is a 404, as if it did not exist. */
export async function assertVisibleToDealer(db: ScoringDb, principal: Principal, customerId: string): Promise<void> {
  const scope = dealerScope(principal);
  if (scope && (await customerRepository.findAssignment(db, customerId))?.dealerId !== scope) throw noSuchCustomer(customerId);
}

/** The customer as the projection knows it, when the principal may see it; 404 otherwise (unknown ids too). */
export async function requireVisibleCustomer(db: ScoringDb, principal: Principal, customerId: string): Promise<void> {
  const customer = await customerRepository.findAssignment(db, customerId);
  const scope = dealerScope(principal);
  if (!customer || (scope && customer.dealerId !== scope)) throw noSuchCustomer(customerId);
}
