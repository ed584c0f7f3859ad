import { CurrencyMoney, Money$, SafeText } from '@crm/domain';
import { z } from 'zod';
import type { LeadRating } from './lead.tables';

export const PURCHASE_TIMEFRAMES = ['within_1_month', '1_3_months', '3_6_months', 'later', 'unknown'] as const;
export const LEAD_CHANNELS = ['hotline', 'web', 'campaign', 'dealer', 'partner', 'event', 'import'] as const;
const Word = SafeText.trim().min(1).max(100);

/** What a rating rule asks of a lead; every condition given must hold (none given: every lead). */
export const RatingConditions = z
  .strictObject({
    purchaseTimeframes: z.array(z.enum(PURCHASE_TIMEFRAMES)).min(1).optional(),
    minBudget: CurrencyMoney.optional().describe('The budget is at least this, in the same currency'),
    modelsOfInterest: z.array(Word).min(1).max(200).optional(),
    productLines: z.array(Word).min(1).max(200).optional(),
    testDriveRequested: z.boolean().optional(),
    channels: z.array(z.enum(LEAD_CHANNELS)).min(1).optional(),
    customerTiers: z.array(Word).min(1).max(20).optional().describe("The known customer's tier (from scoring) is one of these"),
  })
  .meta({ id: 'LeadRatingConditions' });
export type RatingConditions = z.infer<typeof RatingConditions>;

/** The facts a rating looks at: what the lead says and the known customer's tier. */
export interface RatableLead {
  purchaseTimeframe: string;
  budget: { amount: string; currency: string } | null;
  modelOfInterest: string | null;
  productLine: string | null;
  testDriveRequested: boolean;
  channel: string;
  customerTier: string | null;
}

export interface RatingRule {
  id: string;
  position: number;
  conditions: RatingConditions;
  rating: LeadRating;
}

const inList = (value: string | null, list: readonly string[] | undefined) =>
  list === undefined || (value !== null && list.some((item) => item.toLowerCase() === value.toLowerCase()));

export function ratingRuleMatches(conditions: RatingConditions, lead: RatableLead): boolean {
  const { minBudget } = conditions;
  return (
    inList(lead.purchaseTimeframe, conditions.purchaseTimeframes) &&
    inList(lead.modelOfInterest, conditions.modelsOfInterest) &&
    inList(lead.productLine, conditions.productLines) &&
    inList(lead.channel, conditions.channels) &&
    inList(lead.customerTier, conditions.customerTiers) &&
    (conditions.testDriveRequested === undefined || conditions.testDriveRequested === lead.testDriveRequested) &&
    (minBudget === undefined || (lead.budget !== null && lead.budget.currency === minBudget.currency && new Money$(lead.budget.amount).gte(minBudget.amount)))
  );
}

/** The first active rule (by position) whose conditions hold decides; none: cold. */
export function rateLead(lead: RatableLead, rules: readonly RatingRule[]): { rating: LeadRating; ruleId: string | null } {
  const rule = [...rules].sort((a, b) => a.position - b.position).find((candidate) => ratingRuleMatches(candidate.conditions, lead));
  return rule ? { rating: rule.rating, ruleId: rule.id } : { rating: 'cold', ruleId: null };
}
