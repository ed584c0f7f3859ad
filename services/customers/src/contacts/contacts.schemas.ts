import { BuyingRole, SafeText } from '@crm/domain';
import { z } from 'zod';

export const ContactInput = z.strictObject({
  personId: z.uuid(),
  buyingRole: BuyingRole,
  jobTitle: SafeText.trim().min(1).max(200).optional(),
});
export type ContactInput = z.infer<typeof ContactInput>;

export const ContactView = z
  .object({ id: z.uuid(), organizationId: z.uuid(), personId: z.uuid(), buyingRole: BuyingRole, jobTitle: z.string().nullable(), createdAt: z.string() })
  .meta({ id: 'Contact' });
export type ContactView = z.infer<typeof ContactView>;

export const ContactList = z.object({ items: z.array(ContactView) });
