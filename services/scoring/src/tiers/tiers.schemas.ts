import { SafeDateTime, SafeText } from '@crm/domain';
import { documentedAs, PageQuery } from '@crm/platform';
import { z } from 'zod';
import { TIER_FIELDS } from '../segments/rules';

export const Tier = z
  .object({
    name: z.string(),
    rank: z.number().int().describe('1 = top tier'),
    rule: z
      .object({ field: z.string(), min: z.number().optional(), max: z.number().optional() })
      .describe(`min ≤ value < max over one numeric score field shared by the set (${TIER_FIELDS.join(', ')}); the top tier has no max, the lowest no min`),
  })
  .meta({ id: 'Tier' });
export type Tier = z.infer<typeof Tier>;
export const TierList = z.object({ items: z.array(Tier) }).meta({ id: 'TierSet' });
export type TierList = z.infer<typeof TierList>;

/** Checked by the tier set's validation, which answers 422 `invalid-tier-set` with every problem and its path. */
export const ReplaceTierSetBody = z.strictObject({ items: z.array(documentedAs(Tier)) });

export const TierOverride = z
  .object({
    customerId: z.uuid(),
    tier: z.string(),
    reason: z.string(),
    expiresAt: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    currentTier: z.string().nullable(),
  })
  .meta({ id: 'TierOverride' });

export const SetTierOverrideBody = z.strictObject({
  tier: SafeText.min(1).max(50),
  reason: SafeText.trim().min(1).max(500),
  expiresAt: SafeDateTime.optional().describe('When the override ends; the next tier assignment then reverts to the rule tier'),
});
export type SetTierOverrideBody = z.infer<typeof SetTierOverrideBody>;

export const TierHistoryEntry = z
  .object({
    from: z.string().nullable(),
    to: z.string(),
    reason: z.string().describe('rules, override, override-expired or grace-period-ended'),
    changedAt: z.string(),
  })
  .meta({ id: 'TierHistoryEntry' });
export type TierHistoryEntry = z.infer<typeof TierHistoryEntry>;

export const CustomerParams = z.object({ id: z.uuid() });
export const TierHistoryQuery = PageQuery;
export type TierHistoryQuery = z.infer<typeof TierHistoryQuery>;
