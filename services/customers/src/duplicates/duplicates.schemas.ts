import { Email, Phone } from '@crm/domain';
import { z } from 'zod';
import { CUSTOMER_FIELDS, type CustomerField } from '../customers/customer.model';
import { CustomerView } from '../customers/customers.schemas';

export const DuplicateRule = z.enum(['email', 'phone', 'name_birthday']);
export type DuplicateRule = z.infer<typeof DuplicateRule>;

export const DuplicateCandidate = z.object({
  customer: CustomerView,
  rules: z.array(DuplicateRule),
  score: z.number(),
});
export type DuplicateCandidate = z.infer<typeof DuplicateCandidate>;

export const DuplicateList = z.object({ items: z.array(DuplicateCandidate) });

export const MergeBody = z.strictObject({
  duplicateId: z.uuid(),
  /** Per field, which side wins; otherwise the newest non-empty value wins. */
  prefer: z.partialRecord(z.enum(CUSTOMER_FIELDS as [CustomerField, ...CustomerField[]]), z.enum(['survivor', 'duplicate'])).default({}),
});
export type MergeBody = z.infer<typeof MergeBody>;

export const MAX_MATCH_ITEMS = 1000;

export const MatchRequest = z
  .strictObject({
    items: z
      .array(
        z
          .strictObject({ email: Email.optional(), phone: Phone.optional() })
          .refine((item) => item.email !== undefined || item.phone !== undefined, { message: 'give an email, a phone or both' }),
      )
      .min(1)
      .max(MAX_MATCH_ITEMS),
  })
  .meta({ id: 'CustomerMatchRequest' });
export type MatchRequest = z.infer<typeof MatchRequest>;

export const CustomerMatch = z.object({ customerId: z.uuid(), dealerId: z.uuid().nullable(), kind: z.enum(['person', 'organization']), on: z.enum(['email', 'phone']) });
export type CustomerMatch = z.infer<typeof CustomerMatch>;

export const MatchAnswer = z
  .object({ results: z.array(z.object({ index: z.number().int(), matches: z.array(CustomerMatch) })) })
  .meta({ id: 'CustomerMatchAnswer' });
export type MatchAnswer = z.infer<typeof MatchAnswer>;
