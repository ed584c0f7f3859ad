import { BuyingRole } from '@crm/domain';
import { z } from 'zod';
import { ConsentDecision } from '../consents/consents.schemas';
import { CustomerView } from '../customers/customers.schemas';
import { TimelineEntry } from '../timeline/timeline.schemas';

/** A link the customer is part of; the other side is null where a dealer may not see that customer. */
const ExportedContact = z.object({
  id: z.uuid(),
  organizationId: z.uuid().nullable(),
  personId: z.uuid().nullable(),
  buyingRole: BuyingRole,
  jobTitle: z.string().nullable(),
});
export type ExportedContact = z.infer<typeof ExportedContact>;

/** Everything this service holds on a person (GDPR art. 15/20). */
export const CustomerRecordExport = z
  .object({
    exportedAt: z.string(),
    customer: CustomerView.describe('The profile, with its external ids and current consents'),
    contacts: z.array(ExportedContact).describe('Every contact link: as the organization, or as the person'),
    consentHistory: z.array(ConsentDecision).describe('Every consent decision, oldest first'),
    timeline: z.array(TimelineEntry).describe('The whole timeline, oldest first'),
  })
  .meta({ id: 'CustomerRecordExport' });
export type CustomerRecordExport = z.infer<typeof CustomerRecordExport>;
