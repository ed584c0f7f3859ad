import type { Principal } from '@crm/domain';
import { customerDirectory, dealerScope, problem, Problems } from '@crm/platform';
import type { CustomerLifecycle } from '../customer-directory/customer-lifecycle';
import type { SalesDb } from '../db/tables';
import type { SalesPersonalData } from './personal-data.schemas';

/**
 * Sales' section of a customer's export (GDPR access): every feature's records on the person and the ids
 * merged into it. A dealer asks only for its own customers; any other id is a 404 like an absent one.
 */
export function createPersonalDataService(deps: { db: SalesDb; features: readonly CustomerLifecycle[] }) {
  return {
    async ofCustomer(principal: Principal, customerId: string): Promise<SalesPersonalData> {
      const { db } = deps;
      const id = await customerDirectory.finalSurvivorOf(db, customerId);
      const scope = dealerScope(principal);
      // Known here as another dealer's: 404. Not known (yet): sales holds nothing on it to show.
      const known = await customerDirectory.find(db, id);
      if (scope !== undefined && known !== undefined && known.dealer_id !== scope) throw problem(Problems.notFound, `customer ${customerId} does not exist`);
      const ids = [id, ...(await customerDirectory.mergedInto(db, id))];
      const sections: SalesPersonalData['sections'] = {};
      for (const feature of deps.features) Object.assign(sections, await feature.exported?.(db, ids));
      return { customerId: id, sections };
    },
  };
}
export type PersonalDataService = ReturnType<typeof createPersonalDataService>;
