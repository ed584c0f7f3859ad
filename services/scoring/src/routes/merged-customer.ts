import type { Principal } from '@crm/domain';
import { dealerScope, problem, Problems } from '@crm/platform';
import { finalSurvivorOf } from '../db/customer-alias.repository';
import type { ScoringDb } from '../db/scoring.repository';

/**
 * Where a request about a merged-away customer belongs: the same URL on its final survivor, which the
 * route answers with 308 (as the customers service does), so the client learns the id to use from now
 * on. Undefined for any other id. A dealer is sent only to a survivor of its own, else 404.
 */
export async function survivorLocation(db: ScoringDb, principal: Principal, customerId: string, url: string): Promise<string | undefined> {
  const survivorId = await finalSurvivorOf(db, customerId);
  if (survivorId === customerId) return undefined;
  const scope = dealerScope(principal);
  if (scope) {
    const survivor = await db.selectFrom('customer').select('dealer_id').where('id', '=', survivorId).executeTakeFirst();
    if (survivor?.dealer_id !== scope) throw problem(Problems.notFound, `customer ${customerId} does not exist`);
  }
  return url.replace(`/v1/customers/${customerId}`, `/v1/customers/${survivorId}`);
}
