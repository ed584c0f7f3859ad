import { z } from 'zod';
import { defineEvent, Topics } from './events';

/** Opportunities, activities and calendars. */
export const SalesPipelineEvents = {
  /** Lands on the customer's timeline (the customers service consumes it). */
  activityLogged: defineEvent({
    type: 'crm.sales.activity.logged.v1',
    topic: Topics.sales,
    data: z.object({
      activityId: z.uuid(),
      customerId: z.uuid(),
      kind: z.string(),
      subject: z.string().describe("What it was about, as a reference ('lead:<id>', 'opportunity:<id>', 'customer:<id>'): never free text"),
      occurredAt: z.iso.datetime({ offset: true }),
      outcome: z.string().nullable(),
      ownerSubject: z.string().nullable(),
      dealerId: z.uuid().nullable(),
    }),
    key: (data) => data.customerId,
  }),
} as const;
