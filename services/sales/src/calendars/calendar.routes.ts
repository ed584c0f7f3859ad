import { IdempotencyKeyHeader, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { z } from 'zod';
import { SALES_STAFF } from '../access';
import { Booking, BookingListQuery, BookingParams, CalendarParams, FreeBusy, FreeBusyQuery, NewBooking, NewResource, Resource } from './calendar.schemas';
import type { CalendarService } from './calendar.service';

/** Which calendar a caller may use is decided by its owner key (its own, its team's; 404 otherwise). */
const useCalendars: AccessRule = { action: 'use calendars', staff: SALES_STAFF, dealer: true, integration: false };
const tags = ['calendars'];
const OWNER_RULE = 'A dealer uses only its own calendar, a rep its own, a manager its team\'s, admin any; any other answers 404.';

export function calendarRoutes(app: App, calendars: CalendarService): void {
  app.post(
    '/v1/calendars/:ownerKey/resources',
    {
      config: { access: useCalendars },
      schema: {
        operationId: 'addCalendarResource',
        tags,
        summary: 'Add a bookable resource to a calendar (a dealer\'s test-drive car)',
        description: `${OWNER_RULE} A name is used once per calendar (409).`,
        params: CalendarParams,
        body: NewResource,
        response: { 201: Resource, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await calendars.addResource(request.principal, request.params.ownerKey, request.body)),
  );

  app.get(
    '/v1/calendars/:ownerKey/resources',
    {
      config: { access: useCalendars },
      schema: { operationId: 'listCalendarResources', tags, summary: "A calendar's resources", description: OWNER_RULE, params: CalendarParams, response: { 200: z.object({ items: z.array(Resource) }), ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => calendars.resources(request.principal, request.params.ownerKey),
  );

  app.post(
    '/v1/calendars/:ownerKey/bookings',
    {
      config: { access: useCalendars },
      schema: {
        operationId: 'book',
        tags,
        summary: 'Book a slot (optionally of a resource, for an activity)',
        description:
          `${OWNER_RULE} A slot starting in the past is a 422. A slot overlapping another live booking of the same calendar or the same resource is a 409: ` +
          'the database refuses it, so of two concurrent requests for one slot exactly one wins. Idempotency-Key makes a retry return the same booking.',
        params: CalendarParams,
        headers: z.looseObject({ 'idempotency-key': IdempotencyKeyHeader }),
        body: NewBooking,
        ...sendsHeaders({ 201: ['Location'] }),
        response: { 201: Booking, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const booking = await calendars.book(request.principal, request.params.ownerKey, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/calendars/${encodeURIComponent(booking.ownerKey)}/bookings/${booking.id}`).send(booking);
    },
  );

  app.get(
    '/v1/calendars/:ownerKey/bookings/:bookingId',
    { config: { access: useCalendars }, schema: { operationId: 'getBooking', tags, summary: 'A booking', description: OWNER_RULE, params: BookingParams, response: { 200: Booking, ...problemResponses(400, 401, 403, 404) } } },
    async (request) => calendars.booking(request.principal, request.params.ownerKey, request.params.bookingId),
  );

  app.get(
    '/v1/calendars/:ownerKey/bookings',
    {
      config: { access: useCalendars },
      schema: { operationId: 'listBookings', tags, summary: 'Bookings overlapping a window (at most 92 days), in time order', description: OWNER_RULE, params: CalendarParams, querystring: BookingListQuery, response: { 200: z.object({ items: z.array(Booking) }), ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => calendars.bookings(request.principal, request.params.ownerKey, request.query),
  );

  app.post(
    '/v1/calendars/:ownerKey/bookings/:bookingId/cancel',
    {
      config: { access: useCalendars },
      schema: { operationId: 'cancelBooking', tags, summary: 'Cancel a booking, freeing its slot', description: `${OWNER_RULE} Cancelling twice is a 409.`, params: BookingParams, response: { 200: Booking, ...problemResponses(400, 401, 403, 404, 409) } },
    },
    async (request) => calendars.cancel(request.principal, request.params.ownerKey, request.params.bookingId),
  );

  app.get(
    '/v1/calendars/:ownerKey/free-busy',
    {
      config: { access: useCalendars },
      schema: {
        operationId: 'freeBusy',
        tags,
        summary: 'Busy intervals and free business-hour slots in a window (at most 31 days)',
        description: `${OWNER_RULE} Busy: live bookings and open activities with a due time (recurring tasks expanded; 30 minutes unless they say). Free: Mon–Fri 09:00–18:00 in the sales time zone, less the busy intervals. With resourceId: that resource's bookings only.`,
        params: CalendarParams,
        querystring: FreeBusyQuery,
        response: { 200: FreeBusy, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => calendars.freeBusy(request.principal, request.params.ownerKey, request.query),
  );
}
