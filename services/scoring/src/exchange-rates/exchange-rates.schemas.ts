import { CurrencyCode } from '@crm/domain';
import { z } from 'zod';

const Rate = z.string().regex(/^\d{1,12}(\.\d{1,10})?$/, 'must be a positive decimal string like "0.1389"').refine((r) => Number(r) > 0, 'must be greater than 0');

export const ExchangeRate = z
  .object({ currency: z.string(), rate: z.string(), baseCurrency: z.string(), version: z.number().int(), updatedAt: z.string() })
  .meta({ id: 'ExchangeRate' });
export type ExchangeRate = z.infer<typeof ExchangeRate>;

export const ExchangeRateParams = z.object({ currency: CurrencyCode });
export const SetExchangeRateBody = z.strictObject({ rate: Rate });
export const ExchangeRateList = z.object({ baseCurrency: z.string(), items: z.array(ExchangeRate) });
