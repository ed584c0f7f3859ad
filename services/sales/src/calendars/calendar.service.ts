import { SalesActivityEvents, type Principal } from '@crm/domain';
import { idempotencyScope, onceForKey, problem, Problems, requestHash, type Outbox, type Runtime } from '@crm/platform';
import { activityRepository } from '../activities/activity.repository';
import type { SalesDb } from '../db/tables';
import { inScope } from '../ownership/ownership';
import { SalesProblems } from '../sales.problems';
import { teamRepository } from '../teams/team.repository';
import { occurrencesBetween } from '../activities/recurrence';
import { businessIntervals, freeSlots, type Interval } from '../business-hours';
import { calendarRepository, type BookingRow } from './calendar.repository';
import type { Booking, BookingListQuery, FreeBusy, FreeBusyQuery, NewBooking, NewResource, Resource } from './calendar.schemas';
import { callerScope } from '../ownership/caller-scope';

const bookingOf = (row: BookingRow): Booking => ({
  id: row.id,
  ownerKey: row.owner_key,
  resourceId: row.resource_id,
  activityId: row.activity_id,
  title: row.title,
  start: row.start.toISOString(),
  end: row.end.toISOString(),
  status: row.status,
  createdAt: row.created_at.toISOString(),
  createdBy: row.created_by,
  cancelledAt: row.cancelled_at?.toISOString() ?? null,
});

/** An open activity blocks the calendar this long when it does not say. */
const DEFAULT_ACTIVITY_MINUTES = 30;

type CalendarOwner = { kind: 'rep'; subject: string } | { kind: 'dealer'; dealerId: string };
const ownerOf = (ownerKey: string): CalendarOwner => (ownerKey.startsWith('dealer:') ? { kind: 'dealer', dealerId: ownerKey.slice('dealer:'.length) } : { kind: 'rep', subject: ownerKey.slice('rep:'.length) });

/**
 * A rep's or a dealer's calendar: resources (a test-drive car), bookings that never overlap for one
 * owner or one resource (the database refuses it), and free/busy within business hours.
 */
export function createCalendarService(deps: { db: SalesDb; runtime: Runtime; outbox: Outbox; write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>; timeZone: string }) {
  const { db, runtime, outbox } = deps;

  /** The owner if the principal manages its calendar (a dealer its own, a rep its own, a manager its team's, admin any); 404 otherwise. */
  const calendarFor = async (executor: SalesDb, principal: Principal, ownerKey: string): Promise<CalendarOwner> => {
    const owner = ownerOf(ownerKey);
    const allowed = await (async () => {
      if (principal.kind === 'dealer') return owner.kind === 'dealer' && owner.dealerId === principal.dealerId;
      if (principal.kind !== 'staff') return false;
      if (principal.roles.includes('admin')) return true;
      if (owner.kind !== 'rep') return false;
      if (owner.subject === principal.subject) return true;
      return principal.roles.includes('sales-manager') && (await teamRepository.visibleSubjects(executor, principal.subject)).includes(owner.subject);
    })();
    if (!allowed) throw problem(Problems.notFound, `calendar ${ownerKey} does not exist`);
    return owner;
  };

  const visibleResource = async (executor: SalesDb, ownerKey: string, id: string) => {
    const resource = await calendarRepository.findResource(executor, id);
    if (!resource || resource.owner_key !== ownerKey) throw problem(Problems.notFound, `resource ${id} is not on calendar ${ownerKey}`);
    return resource;
  };

  return Object.freeze({
    async addResource(principal: Principal, ownerKey: string, input: NewResource): Promise<Resource> {
      return deps.write(async (trx) => {
        await calendarFor(trx, principal, ownerKey);
        const row = await calendarRepository.insertResource(trx, { id: runtime.newId(), owner_key: ownerKey, name: input.name, created_at: runtime.now() });
        if (!row) throw problem(Problems.conflict, `calendar ${ownerKey} has a resource named ${input.name} already`);
        return { id: row.id, ownerKey: row.owner_key, name: row.name, createdAt: row.created_at.toISOString() };
      });
    },

    async resources(principal: Principal, ownerKey: string): Promise<{ items: Resource[] }> {
      await calendarFor(db, principal, ownerKey);
      const rows = await calendarRepository.resources(db, ownerKey);
      return { items: rows.map((row) => ({ id: row.id, ownerKey: row.owner_key, name: row.name, createdAt: row.created_at.toISOString() })) };
    },

    async book(principal: Principal, ownerKey: string, input: NewBooking, idempotencyKey: string | undefined): Promise<Booking> {
      const stored = await deps.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('calendars.book', principal), key: idempotencyKey, hash: requestHash(ownerKey, input) }, async () => {
          await calendarFor(trx, principal, ownerKey);
          const now = runtime.now();
          const start = new Date(input.start);
          const end = new Date(input.end);
          if (start < now) throw problem(SalesProblems.ruleViolation, `the booking starts in the past (${input.start}); book a slot from now on`);
          if (input.resourceId) await visibleResource(trx, ownerKey, input.resourceId);
          if (input.activityId) {
            const activity = await activityRepository.find(trx, input.activityId);
            const scope = await callerScope(trx, principal);
            if (!activity || !inScope(scope, activity)) throw problem(Problems.notFound, `activity ${input.activityId} does not exist`);
          }
          const row = { id: runtime.newId(), owner_key: ownerKey, resource_id: input.resourceId ?? null, activity_id: input.activityId ?? null, title: input.title, start, end, created_at: now, created_by: `${principal.kind}:${principal.subject}` };
          const result = await calendarRepository.insertBooking(trx, row);
          if ('clash' in result) {
            throw problem(
              Problems.conflict,
              result.clash === 'resource' ? `resource ${input.resourceId} is already booked between ${input.start} and ${input.end}` : `calendar ${ownerKey} already has a booking between ${input.start} and ${input.end}`,
            );
          }
          await outbox.append(trx, SalesActivityEvents.bookingMade, { bookingId: row.id, ownerKey, resourceId: row.resource_id, activityId: row.activity_id, start: start.toISOString(), end: end.toISOString() });
          return { statusCode: 201, body: bookingOf({ ...row, status: 'booked', cancelled_at: null }) };
        }),
      );
      return stored.body as Booking;
    },

    async booking(principal: Principal, ownerKey: string, bookingId: string): Promise<Booking> {
      await calendarFor(db, principal, ownerKey);
      const row = await calendarRepository.findBooking(db, ownerKey, bookingId);
      if (!row) throw problem(Problems.notFound, `booking ${bookingId} does not exist`);
      return bookingOf(row);
    },

    async bookings(principal: Principal, ownerKey: string, query: BookingListQuery): Promise<{ items: Booking[] }> {
      await calendarFor(db, principal, ownerKey);
      const rows = await calendarRepository.bookingsWithin(db, { ownerKey, resourceId: query.resourceId, status: query.status }, new Date(query.from), new Date(query.to));
      return { items: rows.map(bookingOf) };
    },

    async cancel(principal: Principal, ownerKey: string, bookingId: string): Promise<Booking> {
      return deps.write(async (trx) => {
        await calendarFor(trx, principal, ownerKey);
        const row = await calendarRepository.findBooking(trx, ownerKey, bookingId, { forUpdate: true });
        if (!row) throw problem(Problems.notFound, `booking ${bookingId} does not exist`);
        if (row.status !== 'booked') throw problem(SalesProblems.invalidTransition, `booking ${bookingId} is cancelled already`);
        const at = runtime.now();
        await calendarRepository.cancelBooking(trx, bookingId, at);
        await outbox.append(trx, SalesActivityEvents.bookingCancelled, { bookingId, ownerKey, resourceId: row.resource_id, cancelledAt: at.toISOString() });
        return bookingOf({ ...row, status: 'cancelled', cancelled_at: at });
      });
    },

    async freeBusy(principal: Principal, ownerKey: string, query: FreeBusyQuery): Promise<FreeBusy> {
      const owner = await calendarFor(db, principal, ownerKey);
      if (query.resourceId) await visibleResource(db, ownerKey, query.resourceId);
      const from = new Date(query.from);
      const to = new Date(query.to);
      const booked = await calendarRepository.bookingsWithin(db, { ownerKey, resourceId: query.resourceId, status: 'booked' }, from, to);
      const busy: FreeBusy['busy'] = booked.map((b) => ({ start: b.start.toISOString(), end: b.end.toISOString(), source: 'booking', id: b.id }));
      // A resource is busy only when booked; its owner also with its open activities, recurring tasks expanded.
      if (!query.resourceId) {
        const activities = await activityRepository.openOfOwner(db, owner.kind === 'rep' ? { ownerSubject: owner.subject } : { dealerId: owner.dealerId }, from, to);
        for (const activity of activities) {
          const length = (activity.duration_minutes ?? DEFAULT_ACTIVITY_MINUTES) * 60_000;
          // Occurrences that started before the window but still run into it count too.
          const starts = activity.rrule ? occurrencesBetween(activity.rrule, activity.due_at!, new Date(from.getTime() - length), to) : [activity.due_at!];
          for (const start of starts) {
            const end = new Date(start.getTime() + length);
            if (end > from && start < to) busy.push({ start: start.toISOString(), end: end.toISOString(), source: 'activity', id: activity.id });
          }
        }
      }
      busy.sort((a, b) => a.start.localeCompare(b.start));
      const taken: Interval[] = busy.map((b) => ({ start: new Date(b.start), end: new Date(b.end) }));
      const free = freeSlots(businessIntervals(from, to, deps.timeZone), taken).map((slot) => ({ start: slot.start.toISOString(), end: slot.end.toISOString() }));
      return { ownerKey, resourceId: query.resourceId ?? null, timeZone: deps.timeZone, busy, free };
    },
  });
}
export type CalendarService = ReturnType<typeof createCalendarService>;
