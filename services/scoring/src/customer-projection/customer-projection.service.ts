import { namespaceOf, type CustomerSnapshot } from '@crm/domain';
import { erasePlatformRecords } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { rescoreQueueRepository } from '../runs/rescore-queue.repository';
import { refreshSegments, type SegmentContext } from '../segments/segment-membership.service';
import { customerAliasRepository } from './customer-alias.repository';
import { customerRepository } from './customer.repository';

export interface CustomerProjection {
  /** A created or updated customer's snapshot; its segments follow when it applied. */
  project(trx: ScoringDb, customer: CustomerSnapshot, at: string): Promise<void>;
  /** A merge: the duplicate's data moves to the final survivor, whose snapshot applies. */
  merge(trx: ScoringDb, merge: { survivorId: string; mergedId: string; survivor: CustomerSnapshot }, at: string): Promise<void>;
  /** Everything scoring holds on the person and the ids merged into it goes; the ids are remembered. */
  erase(trx: ScoringDb, customerId: string, mergedIds: readonly string[], at: string): Promise<void>;
}

/**
 * Keeps scoring's read model of customers; pending transactions find their customer here. Stale
 * snapshots change nothing: one of a merged-away or erased customer (its `updated` may lag behind the
 * merge, which travels on the survivor's key), or one older than the version already applied (an equal
 * version is the same state, every change bumps it). Returns whether the snapshot was applied.
 */
async function applySnapshot(trx: ScoringDb, customer: CustomerSnapshot, at: string): Promise<boolean> {
  if (!(await customerRepository.applySnapshot(trx, customer, at))) return false;
  await customerRepository.replaceExternalIds(trx, customer.id, customer.externalIds.map((e) => ({ namespace: namespaceOf(e), system: e.system, id: e.id })));
  // Sales it gained count in its scores and tier: queued with this commit, like an ingest's.
  if ((await customerRepository.linkPendingTransactions(trx, customer.id)) > 0n) await rescoreQueueRepository.queue(trx, [customer.id]);
  return true;
}

export function createCustomerProjection(context: SegmentContext): CustomerProjection {
  const erase: CustomerProjection['erase'] = async (trx, customerId, mergedIds, at) => {
    // The ids merged into the person are the person too: those the customers service names and those scoring knows.
    const aliases = await customerAliasRepository.mergedInto(trx, customerId);
    const ids = [...new Set([customerId, ...mergedIds, ...aliases])];
    await customerRepository.eraseCustomers(trx, ids);
    // Dead letters and stored responses that mention it go too.
    await erasePlatformRecords(trx, ids);
    // Remembered, so that a late event about any of them never brings the person back.
    for (const id of ids) await customerAliasRepository.recordErasure(trx, id, at);
    // No longer in the projection, the customer leaves every segment (with segment-left events).
    await refreshSegments(trx, context, { customerIds: ids });
  };

  return {
    async project(trx, customer, at) {
      if (await applySnapshot(trx, customer, at)) await refreshSegments(trx, context, { customerIds: [customer.id] });
    },
    async merge(trx, { survivorId, mergedId, survivor }, at) {
      // The survivor may have been merged on already (that merge travelled on another key and came first).
      const finalSurvivor = await customerAliasRepository.finalSurvivorOf(trx, survivorId);
      // Merged into someone erased since: the duplicate's data goes the way of the erased customer's.
      if (await customerAliasRepository.isErased(trx, finalSurvivor)) return erase(trx, mergedId, [], at);
      await customerAliasRepository.recordMerge(trx, mergedId, finalSurvivor, at);
      const moved = await customerRepository.moveToSurvivor(trx, mergedId, finalSurvivor);
      if (finalSurvivor === survivorId) await applySnapshot(trx, survivor, at);
      // New scores and tier, as after an ingest: the duplicate's revenue (or override) is the survivor's now.
      if (moved) await rescoreQueueRepository.queue(trx, [finalSurvivor]);
      // The duplicate leaves its segments; the survivor's memberships follow its merged data.
      await refreshSegments(trx, context, { customerIds: [mergedId, finalSurvivor] });
    },
    erase,
  };
}
