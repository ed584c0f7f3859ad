import { SafeText } from '@crm/domain';
import { z } from 'zod';

export const DealerInput = z.strictObject({
  code: z.string().trim().regex(/^[A-Za-z0-9._-]{1,50}$/, 'must be 1-50 letters, digits, ".", "_" or "-"'),
  name: SafeText.trim().min(1).max(200),
  region: SafeText.trim().max(100).nullable().optional(),
  city: SafeText.trim().max(100).nullable().optional(),
});
export type DealerInput = z.infer<typeof DealerInput>;

export const DealerChanges = DealerInput.partial();
export type DealerChanges = z.infer<typeof DealerChanges>;

export const DealerParams = z.object({ id: z.uuid() });

export const Dealer = z
  .object({ id: z.uuid(), code: z.string(), name: z.string(), region: z.string().nullable(), city: z.string().nullable(), version: z.number().int() })
  .meta({ id: 'Dealer' });
export type Dealer = z.infer<typeof Dealer>;
