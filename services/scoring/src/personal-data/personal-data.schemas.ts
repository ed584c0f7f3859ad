import { z } from 'zod';
import { Transaction } from '../transactions/transactions.schemas';

const Quintile = z.number().int().min(1).max(5).nullable();

/** Everything scoring holds on a customer (GDPR art. 15/20): the scoring section of the gateway's export. */
export const CustomerPersonalData = z
  .object({
    customerId: z.uuid(),
    profile: z
      .object({
        kind: z.string().describe('person or organization'),
        dealerId: z.uuid().nullable(),
        birthDate: z.string().nullable().describe('YYYY-MM-DD'),
        lifecycleStage: z.string(),
        city: z.string().nullable(),
        region: z.string().nullable(),
        country: z.string().nullable(),
        consents: z.record(z.string(), z.boolean()).describe('by channel (phone, sms, email, mail)'),
      })
      .nullable()
      .describe("scoring's copy of the customer (from crm.customers events); null when it holds none"),
    externalIds: z.array(z.object({ system: z.string(), id: z.string() })),
    transactions: z
      .array(Transaction.extend({ status: z.enum(['linked', 'pending']).describe('pending: names the person but was never linked to it') }))
      .describe('oldest first'),
    scores: z
      .object({
        rfm: z.object({ recency: Quintile, frequency: Quintile, monetary: Quintile, cell: z.string().nullable() }),
        revenue: z.string(),
        orderCount: z.number().int(),
        firstPurchaseAt: z.string().nullable(),
        lastPurchaseAt: z.string().nullable(),
        averageOrderValue: z.string().nullable(),
        clv: z.string().nullable(),
        clvModelVersion: z.number().int().nullable(),
        expectedTransactions: z.number().nullable(),
        pAlive: z.number().nullable(),
        expectedSpend: z.string().nullable(),
        needsDiversity: z.number().nullable(),
        quadrant: z.string().nullable(),
        tier: z.string().nullable(),
        scoredAt: z.string(),
      })
      .nullable(),
    tierHistory: z.array(z.object({ from: z.string().nullable(), to: z.string(), reason: z.string(), changedAt: z.string() })).describe('oldest first'),
    tierOverride: z.object({ tier: z.string(), reason: z.string(), expiresAt: z.string().nullable(), createdBy: z.string(), createdAt: z.string() }).nullable(),
    segments: z.array(z.object({ segmentId: z.uuid(), name: z.string(), enteredAt: z.string() })),
  })
  .meta({ id: 'CustomerPersonalData' });
export type CustomerPersonalData = z.infer<typeof CustomerPersonalData>;

export const CustomerParams = z.object({ id: z.uuid() });
