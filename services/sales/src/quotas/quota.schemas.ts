import { CurrencyMoney, SafeText } from '@crm/domain';
import { PageQuery } from '@crm/platform';
import { z } from 'zod';
import { Period } from '../forecasts/period';
import { QUOTA_DIMENSIONS } from './quota.tables';

export const QuotaDimension = z.enum(QUOTA_DIMENSIONS).describe('Whose target: a rep (`owner`), a `team`, a `dealer` or a `productLine`');

export const NewQuota = z
  .strictObject({
    period: Period,
    dimension: QuotaDimension,
    target: SafeText.trim().min(1).max(200).describe("The rep's subject, the team's or dealer's id, or the product line"),
    amount: CurrencyMoney.refine((money) => !money.amount.startsWith('-'), { path: ['amount'], message: 'must not be negative' }).describe('In the sales base currency'),
  })
  .meta({ id: 'NewQuota' });
export type NewQuota = z.infer<typeof NewQuota>;

export const Quota = z
  .object({
    id: z.uuid(),
    period: z.string(),
    dimension: QuotaDimension,
    target: z.string(),
    amount: CurrencyMoney,
    version: z.number().int(),
    setAt: z.iso.datetime(),
    setBy: z.string(),
  })
  .meta({ id: 'Quota' });
export type Quota = z.infer<typeof Quota>;

export const QuotaListQuery = PageQuery.extend({ period: Period.optional(), dimension: QuotaDimension.optional() });
export type QuotaListQuery = z.infer<typeof QuotaListQuery>;
