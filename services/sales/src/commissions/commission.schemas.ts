import { CurrencyCode, currencyDecimals, SafeDate, SafeText } from '@crm/domain';
import { PageQuery } from '@crm/platform';
import { z } from 'zod';
import { ActivityKind } from '../activities/activity.schemas';

const Rate = z.number().min(0).max(100).refine((p) => Number.isInteger(Math.round(p * 1e8) / 1e4), 'at most 4 decimal places').describe('Percent');
const Amount = z.string().regex(/^\d{1,15}(\.\d{1,4})?$/, 'must be a non-negative decimal string like "1000000.00"');
const Subject = SafeText.trim().min(1).max(200);

export const NewCommissionPlan = z
  .strictObject({
    name: SafeText.trim().min(1).max(200),
    currency: CurrencyCode.describe('Bases, tiers and commissions are in this currency; orders in others are converted'),
    tiers: z
      .array(
        z.strictObject({
          fromAttainment: Amount.describe("From this cumulative base in the period (the payee's attainment), in the plan's currency; the first tier starts at 0"),
          defaultRate: Rate,
          categoryRates: z.record(SafeText.trim().min(1).max(100), Rate).default({}).describe('Product category → rate, overriding the default'),
        }),
      )
      .min(1)
      .max(20),
    split: z.strictObject({ repPercent: Rate, dealerPercent: Rate }).describe("The rep's and the dealer's share of each line's commission (together 100)"),
    reps: z.array(Subject).max(10_000).default([]).describe("Payees by the orders' owning rep (subject)"),
    dealers: z.array(z.uuid()).max(10_000).default([]).describe("Payees by the orders' selling dealer"),
    validFrom: SafeDate,
    validTo: SafeDate.nullable().default(null).describe('Last day (inclusive) an order accrues under the plan; null: open-ended'),
    activityBonus: z
      .strictObject({ kinds: z.array(ActivityKind).min(1).max(6), perActivity: Amount.describe("In the plan's currency") })
      .nullable()
      .default(null)
      .describe("Pays per completed activity of these kinds the payee logged in the month (Dell rewarded reps for logging contacts); null: none"),
  })
  .superRefine((plan, ctx) => {
    const bonusDecimals = plan.activityBonus?.perActivity.split('.')[1]?.length ?? 0;
    if (bonusDecimals > currencyDecimals(plan.currency)) ctx.addIssue({ code: 'custom', path: ['activityBonus', 'perActivity'], message: `${plan.currency} allows ${currencyDecimals(plan.currency)} decimal places; "${plan.activityBonus?.perActivity}" has ${bonusDecimals}` });
    const decimals = currencyDecimals(plan.currency);
    plan.tiers.forEach((tier, i) => {
      const given = tier.fromAttainment.split('.')[1]?.length ?? 0;
      if (given > decimals) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'fromAttainment'], message: `${plan.currency} allows ${decimals} decimal places; "${tier.fromAttainment}" has ${given}` });
      if (i === 0 && Number(tier.fromAttainment) !== 0) ctx.addIssue({ code: 'custom', path: ['tiers', 0, 'fromAttainment'], message: 'the first tier starts at 0' });
      if (i > 0 && !(Number(tier.fromAttainment) > Number(plan.tiers[i - 1]!.fromAttainment))) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'fromAttainment'], message: 'tiers must start at increasing attainments' });
    });
    if (Math.round((plan.split.repPercent + plan.split.dealerPercent) * 1e4) !== 100 * 1e4) ctx.addIssue({ code: 'custom', path: ['split'], message: 'repPercent and dealerPercent must add up to 100' });
    if (plan.reps.length === 0 && plan.dealers.length === 0) ctx.addIssue({ code: 'custom', path: ['reps'], message: 'name at least one rep or dealer' });
    if (plan.validTo !== null && plan.validTo < plan.validFrom) ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'must not be before validFrom' });
  })
  .meta({ id: 'NewCommissionPlan' });
export type NewCommissionPlan = z.infer<typeof NewCommissionPlan>;

export const CommissionPlan = z
  .object({
    id: z.uuid(),
    name: z.string(),
    currency: z.string(),
    tiers: z.array(z.object({ fromAttainment: z.string(), defaultRate: z.number(), categoryRates: z.record(z.string(), z.number()) })),
    split: z.object({ repPercent: z.number(), dealerPercent: z.number() }),
    reps: z.array(z.string()),
    dealers: z.array(z.uuid()),
    validFrom: z.string(),
    validTo: z.string().nullable(),
    activityBonus: z.object({ kinds: z.array(z.string()), perActivity: z.string() }).nullable(),
    version: z.number().int(),
  })
  .meta({ id: 'CommissionPlan' });
export type CommissionPlan = z.infer<typeof CommissionPlan>;

export const PlanListQuery = PageQuery;

export const StatementQuery = z.object({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month, YYYY-MM').describe('The month, in the sales time zone'),
  payeeKind: z.enum(['rep', 'dealer']).optional().describe('Default: dealer for a dealer, rep for staff'),
  payee: z.string().min(1).max(200).optional().describe("A rep's subject or a dealer's id (default: the caller)"),
});
export type StatementQuery = z.infer<typeof StatementQuery>;

export const CommissionStatement = z
  .object({
    payeeKind: z.enum(['rep', 'dealer']),
    payee: z.string(),
    period: z.string(),
    lines: z.array(
      z.object({
        id: z.uuid(),
        kind: z.enum(['accrual', 'clawback']),
        bookedAt: z.iso.datetime(),
        planId: z.uuid(),
        orderId: z.uuid(),
        orderLineNo: z.number().int(),
        returnId: z.uuid().nullable(),
        category: z.string().nullable(),
        orderCurrency: z.string(),
        orderAmount: z.string(),
        base: z.string().nullable().describe("In the plan's currency; null when the order's currency could not be converted"),
        currency: z.string(),
        tier: z.number().int(),
        rate: z.number(),
        splitPercent: z.number(),
        amount: z.string().nullable(),
        status: z.enum(['converted', 'unconverted']),
        explanation: z.string(),
      }),
    ),
    activityBonuses: z
      .array(z.object({ planId: z.uuid(), currency: z.string(), kinds: z.array(z.string()), activities: z.number().int(), perActivity: z.string(), amount: z.string(), explanation: z.string() }))
      .describe("The plan's pay for the payee's completed activities in the month"),
    totals: z
      .array(z.object({ planId: z.uuid(), currency: z.string(), accrued: z.string(), clawedBack: z.string(), activityBonus: z.string(), total: z.string(), unconvertedLines: z.number().int() }))
      .describe('Per plan: accrued + clawed back (negative) + activity bonus'),
  })
  .meta({ id: 'CommissionStatement' });
export type CommissionStatement = z.infer<typeof CommissionStatement>;
