import { BuyingRole, ConsentChannel, CustomerEvents, SalesDealEvents, SalesPipelineEvents, ScoringEvents } from '@crm/domain';
import { z } from 'zod';

/** Another customer an entry names: null where the reader may not see that customer (a dealer, another dealer's customer). */
const CustomerRef = z.uuid().nullable();

/** The contact an organisation's "updated" entry records, or "erased" once that person was erased. */
const TimelineContact = z.object({
  id: z.uuid(),
  organizationId: CustomerRef,
  personId: CustomerRef,
  buyingRole: BuyingRole,
  jobTitle: z.string().nullable(),
  createdAt: z.string(),
});

const entry = <const Type extends string, Data extends z.ZodType>(type: Type, data: Data, description: string) =>
  z.object({ type: z.literal(type), source: z.string(), occurredAt: z.string(), data }).describe(description);

/**
 * One entry of a customer's lifetime timeline: this service's own changes and what other services
 * report about the customer (scoring: tier and segment changes). `type` is the event's CloudEvents
 * type and says what `data` holds.
 */
export const TimelineEntry = z
  .discriminatedUnion('type', [
    entry(CustomerEvents.created.type, z.object({}), 'The customer was created'),
    entry(
      CustomerEvents.updated.type,
      z.object({
        changedFields: z.array(z.string()).describe('The fields that changed (`contacts` for a new contact; empty when only external ids were added)'),
        contact: z.union([TimelineContact, z.literal('erased')]).optional(),
      }),
      'The customer changed',
    ),
    entry(CustomerEvents.merged.type, z.object({ mergedId: CustomerRef }), 'A duplicate was merged into the customer'),
    entry(CustomerEvents.erased.type, z.object({}), 'The customer was erased'),
    entry(
      CustomerEvents.consentChanged.type,
      z.object({ customerId: CustomerRef, channel: ConsentChannel, granted: z.boolean(), source: z.string(), recordedAt: z.string() }),
      'A consent decision was recorded',
    ),
    entry(
      ScoringEvents.tierChanged.type,
      z.object({ customerId: CustomerRef, from: z.string().nullable(), to: z.string(), reason: z.string() }),
      'The scoring service moved the customer to another tier',
    ),
    entry(ScoringEvents.segmentEntered.type, z.object({ segmentId: z.uuid(), customerId: CustomerRef }), 'The customer entered a segment'),
    entry(ScoringEvents.segmentLeft.type, z.object({ segmentId: z.uuid(), customerId: CustomerRef }), 'The customer left a segment'),
    entry(SalesDealEvents.orderPlaced.type, SalesDealEvents.orderPlaced.data.extend({ customerId: CustomerRef }), 'The customer placed an order (sales)'),
    entry(SalesDealEvents.orderReturned.type, SalesDealEvents.orderReturned.data.extend({ customerId: CustomerRef }), 'The customer returned part of an order (sales)'),
    entry(SalesDealEvents.orderCancelled.type, SalesDealEvents.orderCancelled.data.extend({ customerId: CustomerRef }), 'An order of the customer was cancelled (sales)'),
    entry(SalesPipelineEvents.activityLogged.type, SalesPipelineEvents.activityLogged.data.extend({ customerId: CustomerRef }), 'A call, meeting, test drive, visit, task or e-mail with the customer (sales)'),
  ])
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof TimelineEntry>;
