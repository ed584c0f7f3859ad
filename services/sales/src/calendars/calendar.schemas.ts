import { SafeText } from '@crm/domain';
import { z } from 'zod';

const Instant = z.iso.datetime({ offset: true });
const DAY_MS = 86_400_000;

/** Whose calendar: a rep's (`rep:<subject>`) or a dealer's (`dealer:<uuid>`). */
export const OwnerKey = z
  .string()
  .max(210)
  .regex(/^(rep:[^\s/]{1,200}|dealer:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, 'rep:<subject> or dealer:<uuid>')
  .describe("Whose calendar: `rep:<subject>` or `dealer:<uuid>`");
export const CalendarParams = z.object({ ownerKey: OwnerKey });
export const BookingParams = z.object({ ownerKey: OwnerKey, bookingId: z.uuid() });

export const NewResource = z.strictObject({ name: SafeText.trim().min(1).max(200).describe('e.g. the test-drive car: "Tiguan L demo, 沪A·12345"') }).meta({ id: 'NewCalendarResource' });
export type NewResource = z.infer<typeof NewResource>;
export const Resource = z.object({ id: z.uuid(), ownerKey: z.string(), name: z.string(), createdAt: z.iso.datetime() }).meta({ id: 'CalendarResource' });
export type Resource = z.infer<typeof Resource>;

export const NewBooking = z
  .strictObject({
    start: Instant,
    end: Instant,
    title: SafeText.trim().min(1).max(200),
    resourceId: z.uuid().optional().describe("One of the calendar's resources: it cannot be booked twice at once either"),
    activityId: z.uuid().optional().describe('The activity this slot is for (a test drive); erased with it'),
  })
  .refine((b) => new Date(b.start) < new Date(b.end), { path: ['end'], message: 'must be after start' })
  .refine((b) => new Date(b.end).getTime() - new Date(b.start).getTime() <= DAY_MS, { path: ['end'], message: 'a booking lasts at most 24 hours' })
  .meta({ id: 'NewBooking' });
export type NewBooking = z.infer<typeof NewBooking>;

export const Booking = z
  .object({
    id: z.uuid(),
    ownerKey: z.string(),
    resourceId: z.uuid().nullable(),
    activityId: z.uuid().nullable(),
    title: z.string(),
    start: z.iso.datetime(),
    end: z.iso.datetime(),
    status: z.enum(['booked', 'cancelled']),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    cancelledAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Booking' });
export type Booking = z.infer<typeof Booking>;

/** A query window [from, to) of at most `maxDays`. */
const withinDays =
  (maxDays: number) =>
  (w: { from: string; to: string }, ctx: z.RefinementCtx): void => {
    const span = new Date(w.to).getTime() - new Date(w.from).getTime();
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (span > maxDays * DAY_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: `a window spans at most ${maxDays} days` });
  };

export const BookingListQuery = z.object({ from: Instant, to: Instant, resourceId: z.uuid().optional(), status: z.enum(['booked', 'cancelled']).optional() }).superRefine(withinDays(92));
export type BookingListQuery = z.infer<typeof BookingListQuery>;
export const FreeBusyQuery = z.object({ from: Instant, to: Instant, resourceId: z.uuid().optional().describe("The resource's free/busy instead of the owner's") }).superRefine(withinDays(31));
export type FreeBusyQuery = z.infer<typeof FreeBusyQuery>;

const Span = z.object({ start: z.iso.datetime(), end: z.iso.datetime() });
export const FreeBusy = z
  .object({
    ownerKey: z.string(),
    resourceId: z.uuid().nullable(),
    timeZone: z.string().describe('Business hours (Mon–Fri 09:00–18:00) are in this zone'),
    busy: z.array(Span.extend({ source: z.enum(['booking', 'activity']), id: z.uuid() })).describe('Bookings and open activities (recurring tasks expanded), each as it was booked'),
    free: z.array(Span).describe('Business hours within the window not covered by anything busy'),
  })
  .meta({ id: 'FreeBusy' });
export type FreeBusy = z.infer<typeof FreeBusy>;
