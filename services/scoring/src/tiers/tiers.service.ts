import type { Principal } from '@crm/domain';
import { decodeCursor, paginate, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import { assertVisibleToDealer, survivorLocation } from '../customer-projection/customer-scope.service';
import type { ScoringDb } from '../db/tables';
import { refreshSegments } from '../segments/segment-membership.service';
import { assignTiers, type TierContext } from './tier-assignment.service';
import { removeTierOverride, setTierOverride, type TierOverride } from './tier-override.service';
import { loadTierSet, replaceTierSet, type TierSet } from './tier-set.service';
import type { SetTierOverrideBody, TierHistoryEntry, TierHistoryQuery, TierList } from './tiers.schemas';
import { tiersRepository } from './tiers.repository';

/** An answer about a customer, or where it moved (a merged-away id: the same URL on its survivor, 308). */
export type CustomerAnswer<T> = { moved: string } | { value: T };

export interface TierService {
  /** The set and its version (the ETag); the first read seeds the default set. */
  getTierSet(): Promise<{ version: number; list: TierList }>;
  /** Replaces the set and re-tiers every customer in the same transaction; segments follow. */
  replaceTierSet(items: unknown, ifMatch: string | undefined): Promise<{ version: number; list: TierList }>;
  setOverride(principal: Principal, customerId: string, input: SetTierOverrideBody, url: string): Promise<CustomerAnswer<TierOverride>>;
  removeOverride(principal: Principal, customerId: string, url: string): Promise<CustomerAnswer<void>>;
  /** Newest first; a dealer sees only its own customers. */
  history(principal: Principal, customerId: string, query: TierHistoryQuery, url: string): Promise<CustomerAnswer<{ items: TierHistoryEntry[]; nextCursor: string | null }>>;
}

const HistoryCursor = z.object({ id: z.string().regex(/^\d{1,19}$/) });
const listOf = (set: TierSet): TierList => ({ items: set.tiers.map(({ name, rank, rule }) => ({ name, rank, rule })) });

export function createTierService(deps: {
  db: ScoringDb;
  outbox: Outbox;
  runtime: Runtime;
  write: <T>(work: (trx: ScoringDb) => Promise<T>) => Promise<T>;
  /** How long a lower rule tier must hold before a downgrade applies (SCORING_TIER_GRACE_DAYS). */
  graceDays: number;
}): TierService {
  const { db, write } = deps;
  const tierContext: TierContext = { outbox: deps.outbox, runtime: deps.runtime, graceDays: deps.graceDays };

  return {
    async getTierSet() {
      const set = await loadTierSet(db);
      return { version: set.version, list: listOf(set) };
    },

    async replaceTierSet(items, ifMatch) {
      const set = await write(async (trx) => {
        const replaced = await replaceTierSet(trx, items, ifMatch);
        // Set-based over the whole base; readers never see a tier set without the assignment it makes.
        await assignTiers(trx, tierContext);
        await refreshSegments(trx, tierContext);
        return replaced;
      });
      return { version: set.version, list: listOf(set) };
    },

    async setOverride(principal, customerId, input, url) {
      const moved = await survivorLocation(db, principal, customerId, url);
      if (moved) return { moved };
      return { value: await write((trx) => setTierOverride(trx, tierContext, { customerId, ...input, createdBy: principal.subject })) };
    },

    async removeOverride(principal, customerId, url) {
      const moved = await survivorLocation(db, principal, customerId, url);
      if (moved) return { moved };
      await write((trx) => removeTierOverride(trx, tierContext, customerId));
      return { value: undefined };
    },

    async history(principal, customerId, query, url) {
      const moved = await survivorLocation(db, principal, customerId, url);
      if (moved) return { moved };
      await assertVisibleToDealer(db, principal, customerId);
      const before = decodeCursor(query.cursor, HistoryCursor);
      const rows = await tiersRepository.history(db, customerId, before?.id, query.limit + 1);
      return {
        value: paginate(
          rows,
          query.limit,
          (row) => ({ from: row.from_tier, to: row.to_tier, reason: row.reason, changedAt: new Date(row.changed_at).toISOString() }),
          (row) => ({ id: String(row.id) }),
        ),
      };
    },
  };
}
