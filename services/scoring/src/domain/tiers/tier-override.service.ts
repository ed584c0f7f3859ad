import { problem, Problems } from '@crm/platform';
import { sql } from 'kysely';
import type { ScoringDb } from '../../db/scoring.repository';
import { assignTiers, type TierContext } from './tier-assignment.service';
import { loadTierSet } from './tier-set.repository';

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

  const known = await sql<{ known: boolean }>`
    select exists (select 1 from scoring.customer where id = ${input.customerId})
        or exists (select 1 from scoring.customer_score where customer_id = ${input.customerId}) as known`.execute(trx);
  if (!known.rows[0]?.known) throw problem(Problems.notFound, `customer ${input.customerId} does not exist`);
  // Defaults for everything but the tier: the next scoring run fills in the scores.
  await sql`insert into scoring.customer_score (customer_id, scored_at) values (${input.customerId}, cast(${now.toISOString()} as timestamptz)) on conflict (customer_id) do nothing`.execute(trx);

  const row = {
    customer_id: input.customerId,
    tier: input.tier,
    reason: input.reason,
    expires_at: input.expiresAt ?? null,
    created_by: input.createdBy,
    created_at: now.toISOString(),
  };
  await trx
    .insertInto('tier_override')
    .values(row)
    .onConflict((oc) => oc.column('customer_id').doUpdateSet({ tier: row.tier, reason: row.reason, expires_at: row.expires_at, created_by: row.created_by, created_at: row.created_at }))
    .execute();
  await assignTiers(trx, context, [input.customerId]);
  const current = await trx.selectFrom('customer_score').select('tier').where('customer_id', '=', input.customerId).executeTakeFirst();
  return {
    customerId: input.customerId,
    tier: input.tier,
    reason: input.reason,
    expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
    createdBy: input.createdBy,
    createdAt: now.toISOString(),
    currentTier: current?.tier ?? null,
  };
}

/** Ends a customer's override now: the tier reverts to the rule tier at once (reason `override-expired`). */
export async function removeTierOverride(trx: ScoringDb, context: TierContext, customerId: string): Promise<void> {
  const ended = await trx
    .updateTable('tier_override')
    .set({ expires_at: context.runtime.now().toISOString() })
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  if (ended.numUpdatedRows === 0n) throw problem(Problems.notFound, `customer ${customerId} has no tier override`);
  await assignTiers(trx, context, [customerId]);
}
