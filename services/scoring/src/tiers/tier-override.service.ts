import { problem, Problems } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { assignTiers, type TierContext } from './tier-assignment.service';
import { loadTierSet } from './tier-set.service';
import { tiersRepository } from './tiers.repository';

export interface TierOverride {
  customerId: string;
  tier: string;
  reason: string;
  expiresAt: string | null;
  createdBy: string;
  createdAt: string;
  /** The customer's tier after the override applied. */
  currentTier: string | null;
}

/**
 * Sets (or replaces) a customer's manual tier and applies it at once (reason `override`). A known
 * customer who has not been scored yet gets an empty score row to carry the tier. Run in a transaction.
 */
export async function setTierOverride(
  trx: ScoringDb,
  context: TierContext,
  input: { customerId: string; tier: string; reason: string; expiresAt?: string | undefined; createdBy: string },
): Promise<TierOverride> {
  const now = context.runtime.now();
  const { tiers } = await loadTierSet(trx);
  const errors = [
    ...(tiers.some((t) => t.name === input.tier) ? [] : [{ field: 'body.tier', message: `must be one of the tiers: ${tiers.map((t) => t.name).join(', ')}` }]),
    ...(input.expiresAt !== undefined && Date.parse(input.expiresAt) <= now.getTime() ? [{ field: 'body.expiresAt', message: 'must lie in the future' }] : []),
  ];
  if (errors.length > 0) throw problem(Problems.unprocessable, errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });

  if (!(await tiersRepository.isKnownCustomer(trx, input.customerId))) throw problem(Problems.notFound, `customer ${input.customerId} does not exist`);
  // Defaults for everything but the tier: the next scoring run fills in the scores.
  await tiersRepository.ensureScoreRow(trx, input.customerId, now.toISOString());

  const row = {
    customer_id: input.customerId,
    tier: input.tier,
    reason: input.reason,
    expires_at: input.expiresAt ?? null,
    created_by: input.createdBy,
    created_at: now.toISOString(),
  };
  await tiersRepository.upsertOverride(trx, row);
  await assignTiers(trx, context, [input.customerId]);
  const currentTier = await tiersRepository.currentTier(trx, input.customerId);
  return {
    customerId: input.customerId,
    tier: input.tier,
    reason: input.reason,
    expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
    createdBy: input.createdBy,
    createdAt: now.toISOString(),
    currentTier,
  };
}

/** Ends a customer's override now: the tier reverts to the rule tier at once (reason `override-expired`). */
export async function removeTierOverride(trx: ScoringDb, context: TierContext, customerId: string): Promise<void> {
  if (!(await tiersRepository.expireOverride(trx, customerId, context.runtime.now().toISOString()))) throw problem(Problems.notFound, `customer ${customerId} has no tier override`);
  await assignTiers(trx, context, [customerId]);
}
