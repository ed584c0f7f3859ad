import { z } from 'zod';

const Quintile = z.number().int().min(1).max(5).nullable();

export const CustomerScores = z
  .object({
    customerId: z.uuid(),
    rfm: z.object({ recency: Quintile, frequency: Quintile, monetary: Quintile, cell: z.string().nullable() }).describe('quintiles 1–5 over the RFM window (5 = best); null without a sale in the window'),
    historical: z.object({
      revenue: z.string().describe('sales − returns, base currency'),
      orderCount: z.number().int(),
      firstPurchaseAt: z.string().nullable(),
      lastPurchaseAt: z.string().nullable(),
      averageOrderValue: z.string().nullable(),
    }),
    predicted: z.object({
      expectedTransactions: z.number().nullable().describe('BG/NBD expected purchases over the CLV horizon'),
      pAlive: z.number().nullable(),
      churnRisk: z.number().nullable().describe('1 − P(alive)'),
      expectedSpend: z.string().nullable().describe('Gamma-Gamma expected spend per purchase'),
      clv: z.string().nullable(),
      modelVersion: z.number().int().nullable().describe('the CLV model version that made these predictions'),
    }),
    needsDiversity: z.number().nullable(),
    quadrant: z.enum(['one_to_one', 'loyalty', 'niche', 'mass']).nullable(),
    tier: z.string().nullable(),
    scoredAt: z.string().nullable().describe('when these scores last changed (a run that finds them unchanged leaves them as they are); null: not scored yet'),
  })
  .meta({ id: 'CustomerScores' });
export type CustomerScores = z.infer<typeof CustomerScores>;

export const CustomerParams = z.object({ id: z.uuid() });
