import { ScoringEvents } from '@crm/domain';
import { customerDirectory, customerDirectoryHandlers, eventHandlersFor, type EventHandler } from '@crm/platform';
import type { CustomerLifecycle } from './customer-lifecycle';
import { customerTierRepository } from './customer-tier.repository';
import type { SalesDatabase, SalesDb } from '../db/tables';

/**
 * Sales' read model of customers: the platform's customer directory (from `crm.customers`) and each
 * customer's tier (from `crm.scoring`), with every feature's merge and erasure handling.
 */
export function customerDirectoryConsumerHandlers(features: readonly CustomerLifecycle[]): Record<string, EventHandler> {
  const on = eventHandlersFor<SalesDatabase>();
  return {
    ...customerDirectoryHandlers({
      merged: async (handle, mergedId, survivorId) => {
        const trx = handle as SalesDb;
        // The survivor's own tier (the one scoring keeps for the merged person) wins over the duplicate's.
        await customerTierRepository.erase(trx, [mergedId]);
        for (const feature of features) await feature.merged?.(trx, mergedId, survivorId);
      },
      erased: async (handle, ids, contactDigests) => {
        const trx = handle as SalesDb;
        await customerTierRepository.erase(trx, ids);
        for (const feature of features) await feature.erased?.(trx, ids, contactDigests);
      },
    }),
    ...on(ScoringEvents.tierChanged, async (trx, { customerId, to }, event) => {
      // A tier of a merged-away id is the survivor's business (scoring announces the survivor's), of an erased one no one's.
      if ((await customerDirectory.survivorsOf(trx, [customerId])).size > 0 || (await customerDirectory.isErased(trx, customerId))) return;
      await customerTierRepository.set(trx, customerId, to, event.time);
    }),
  };
}
