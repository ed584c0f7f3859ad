import { SafeText } from '@crm/domain';
import { PageQuery } from '@crm/platform';
import { z } from 'zod';
import { parseRecurrence } from './recurrence';

export const ActivityKind = z.enum(['call', 'meeting', 'test_drive', 'visit', 'task', 'email']);
export const TargetKind = z.enum(['lead', 'opportunity', 'customer']);
export const Outcome = z
  .enum(['reached', 'no_answer', 'left_message', 'completed', 'cancelled', 'rescheduled', 'not_interested', 'interested'])
  .describe('What came of it (a code)');
const Instant = z.iso.datetime({ offset: true });
const Recurrence = SafeText.max(500)
  .superRefine((text, ctx) => {
    const parsed = parseRecurrence(text);
    if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
  })
  .describe('iCalendar RRULE of a recurring task (e.g. `FREQ=WEEKLY;BYDAY=MO`), its occurrences starting at dueAt (in UTC)');

export const NewActivity = z
  .strictObject({
    kind: ActivityKind,
    target: z.strictObject({ kind: TargetKind, id: z.uuid() }),
    subject: SafeText.trim().min(1).max(200),
    notes: SafeText.trim().max(4000).optional(),
    dueAt: Instant.optional(),
    durationMinutes: z.number().int().min(1).max(1440).optional().describe('How long it blocks the calendar (default 30)'),
    rrule: Recurrence.optional(),
    ownerSubject: SafeText.trim().min(1).max(200).optional().describe('Staff only: the rep it belongs to (default: the caller; a rep may name a teammate)'),
  })
  .refine((a) => a.rrule === undefined || a.kind === 'task', { path: ['rrule'], message: 'only a task recurs' })
  .refine((a) => a.rrule === undefined || a.dueAt !== undefined, { path: ['dueAt'], message: 'a recurring task needs dueAt, its first occurrence' })
  .meta({ id: 'NewActivity' });
export type NewActivity = z.infer<typeof NewActivity>;

export const ActivityChanges = z
  .strictObject({
    subject: SafeText.trim().min(1).max(200).optional(),
    notes: SafeText.trim().max(4000).nullable().optional(),
    dueAt: Instant.nullable().optional(),
    durationMinutes: z.number().int().min(1).max(1440).nullable().optional(),
    rrule: Recurrence.nullable().optional(),
  })
  .meta({ id: 'ActivityChanges' });
export type ActivityChanges = z.infer<typeof ActivityChanges>;

export const CompleteActivity = z
  .strictObject({
    outcome: Outcome,
    completedAt: Instant.optional().describe('When it happened (default: now; never in the future)'),
    notes: SafeText.trim().max(4000).optional(),
  })
  .meta({ id: 'CompleteActivity' });
export type CompleteActivity = z.infer<typeof CompleteActivity>;

export const Activity = z
  .object({
    id: z.uuid(),
    kind: ActivityKind,
    target: z.object({ kind: TargetKind, id: z.uuid() }),
    customerId: z.uuid().nullable(),
    dealerId: z.uuid().nullable(),
    ownerSubject: z.string().nullable(),
    subject: z.string(),
    notes: z.string().nullable(),
    dueAt: z.iso.datetime().nullable(),
    durationMinutes: z.number().int().nullable(),
    rrule: z.string().nullable(),
    status: z.enum(['open', 'completed']),
    completedAt: z.iso.datetime().nullable(),
    outcome: z.string().nullable(),
    occursAt: z.iso.datetime().optional().describe('In a window listing (`from`/`to`): this occurrence\'s start (a recurring task appears once per occurrence)'),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    version: z.number().int(),
  })
  .meta({ id: 'Activity' });
export type Activity = z.infer<typeof Activity>;

export const ActivityListQuery = PageQuery.extend({
  targetKind: TargetKind.optional(),
  targetId: z.uuid().optional(),
  customerId: z.uuid().optional(),
  ownerSubject: z.string().max(200).optional(),
  kind: ActivityKind.optional(),
  status: z.enum(['open', 'completed']).optional(),
  from: Instant.optional().describe('With `to`: the occurrences due in [from, to) (recurring tasks expanded), ordered by time; at most 92 days'),
  to: Instant.optional(),
})
  .refine((q) => (q.from === undefined) === (q.to === undefined), { path: ['to'], message: 'from and to go together' })
  .refine((q) => q.from === undefined || q.to === undefined || new Date(q.from) < new Date(q.to), { path: ['to'], message: 'must be after from' })
  .refine((q) => q.from === undefined || q.to === undefined || new Date(q.to).getTime() - new Date(q.from).getTime() <= 92 * 86_400_000, { path: ['to'], message: 'a window spans at most 92 days' });
export type ActivityListQuery = z.infer<typeof ActivityListQuery>;

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');
export const ActivityCountsQuery = z
  .object({
    from: Month.describe('First month (YYYY-MM, in the sales time zone)'),
    to: Month.describe('Last month, inclusive'),
    groupBy: z.enum(['owner', 'dealer']).default('owner'),
    kind: ActivityKind.optional(),
  })
  .refine((q) => q.from <= q.to, { path: ['to'], message: 'must not be before from' });
export type ActivityCountsQuery = z.infer<typeof ActivityCountsQuery>;

export const ActivityCounts = z
  .object({
    groupBy: z.enum(['owner', 'dealer']),
    timeZone: z.string(),
    items: z.array(z.object({ period: z.string().describe('YYYY-MM'), owner: z.string().nullable().describe('The rep (groupBy=owner) or the dealer id (groupBy=dealer)'), kind: ActivityKind, count: z.number().int() })),
  })
  .meta({ id: 'ActivityCounts' });
export type ActivityCounts = z.infer<typeof ActivityCounts>;
