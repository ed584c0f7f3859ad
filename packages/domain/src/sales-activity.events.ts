import { z } from 'zod';
import { defineEvent, Topics } from './events';

const Target = z.object({ kind: z.enum(['lead', 'opportunity', 'customer']), id: z.uuid() });
const Totals = z.array(z.object({ currency: z.string(), amount: z.string() }));

/**
 * Activities, calendar bookings and expense claims (the rep's working day). Ids and codes only: no
 * subjects, notes or descriptions, which may say things about people. (`activityLogged`, the customer
 * timeline's entry, is in sales-pipeline.events.ts.)
 */
export const SalesActivityEvents = {
  activityScheduled: defineEvent({
    type: 'crm.sales.activity.scheduled.v1',
    topic: Topics.sales,
    data: z.object({
      activityId: z.uuid(),
      kind: z.string(),
      target: Target,
      customerId: z.uuid().nullable(),
      dueAt: z.iso.datetime({ offset: true }).nullable(),
      recurring: z.boolean(),
      ownerSubject: z.string().nullable(),
      dealerId: z.uuid().nullable(),
    }),
    key: (data) => data.activityId,
  }),
  /** Its due time, duration or recurrence changed (subject and notes are not events). */
  activityRescheduled: defineEvent({
    type: 'crm.sales.activity.rescheduled.v1',
    topic: Topics.sales,
    data: z.object({ activityId: z.uuid(), dueAt: z.iso.datetime({ offset: true }).nullable(), recurring: z.boolean(), ownerSubject: z.string().nullable(), dealerId: z.uuid().nullable() }),
    key: (data) => data.activityId,
  }),
  /** An open activity dropped (its bookings with it). */
  activityDeleted: defineEvent({
    type: 'crm.sales.activity.deleted.v1',
    topic: Topics.sales,
    data: z.object({ activityId: z.uuid(), deletedAt: z.iso.datetime({ offset: true }) }),
    key: (data) => data.activityId,
  }),
  activityCompleted: defineEvent({
    type: 'crm.sales.activity.completed.v1',
    topic: Topics.sales,
    data: z.object({
      activityId: z.uuid(),
      kind: z.string(),
      target: Target,
      customerId: z.uuid().nullable(),
      completedAt: z.iso.datetime({ offset: true }),
      outcome: z.string(),
      ownerSubject: z.string().nullable(),
      dealerId: z.uuid().nullable(),
    }),
    key: (data) => data.activityId,
  }),
  bookingMade: defineEvent({
    type: 'crm.sales.booking.made.v1',
    topic: Topics.sales,
    data: z.object({
      bookingId: z.uuid(),
      ownerKey: z.string(),
      resourceId: z.uuid().nullable(),
      activityId: z.uuid().nullable(),
      start: z.iso.datetime({ offset: true }),
      end: z.iso.datetime({ offset: true }),
    }),
    key: (data) => data.ownerKey,
  }),
  bookingCancelled: defineEvent({
    type: 'crm.sales.booking.cancelled.v1',
    topic: Topics.sales,
    data: z.object({ bookingId: z.uuid(), ownerKey: z.string(), resourceId: z.uuid().nullable(), cancelledAt: z.iso.datetime({ offset: true }) }),
    key: (data) => data.ownerKey,
  }),
  expenseClaimSubmitted: defineEvent({
    type: 'crm.sales.expense-claim.submitted.v1',
    topic: Topics.sales,
    data: z.object({ claimId: z.uuid(), claimantSubject: z.string(), submittedAt: z.iso.datetime({ offset: true }), totals: Totals }),
    key: (data) => data.claimId,
  }),
  expenseClaimDecided: defineEvent({
    type: 'crm.sales.expense-claim.decided.v1',
    topic: Topics.sales,
    data: z.object({ claimId: z.uuid(), claimantSubject: z.string(), decision: z.enum(['approved', 'rejected']), decidedBy: z.string(), decidedAt: z.iso.datetime({ offset: true }) }),
    key: (data) => data.claimId,
  }),
  expenseClaimPaid: defineEvent({
    type: 'crm.sales.expense-claim.paid.v1',
    topic: Topics.sales,
    data: z.object({ claimId: z.uuid(), claimantSubject: z.string(), paidAt: z.iso.datetime({ offset: true }), totals: Totals }),
    key: (data) => data.claimId,
  }),
} as const;
