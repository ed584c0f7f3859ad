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
