import { etagOf, IdempotencyKeyHeader, IfMatchHeaders, pageOf, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { z } from 'zod';
import { SALES_READERS, SALES_STAFF } from '../access';
import { Activity, ActivityChanges, ActivityCounts, ActivityCountsQuery, ActivityListQuery, CompleteActivity, NewActivity } from './activity.schemas';
import type { ActivityService } from './activity.service';

const readActivities: AccessRule = { action: 'read activities', staff: SALES_READERS, dealer: true, integration: true };
const logActivities: AccessRule = { action: 'log activities', staff: SALES_STAFF, dealer: true, integration: false };
const readReports: AccessRule = { action: 'read sales reports', staff: SALES_READERS, dealer: true, integration: true };
const Params = z.object({ id: z.uuid() });
const tags = ['activities'];

export function activityRoutes(app: App, activities: ActivityService): void {
  app.post(
    '/v1/activities',
    {
      config: { access: logActivities },
      schema: {
        operationId: 'createActivity',
        tags,
        summary: 'Schedule a call, meeting, test drive, visit, task or e-mail on a lead, an opportunity or a customer',
        description:
          'The target must be visible to the caller (a dealer: its own customers and leads; 404 otherwise). A task may recur (`rrule`, an iCalendar RRULE; an invalid one is a 400). ' +
          'A rep owns what it logs, or names a teammate; a dealer owns its own. Idempotency-Key makes a retry return the same activity.',
        headers: z.looseObject({ 'idempotency-key': IdempotencyKeyHeader }),
        body: NewActivity,
        ...sendsHeaders({ 201: ['Location', 'ETag'] }),
        response: { 201: Activity, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const activity = await activities.create(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/activities/${activity.id}`).header('etag', etagOf(activity.version)).send(activity);
    },
  );

  app.get(
    '/v1/activities',
    {
      config: { access: readActivities },
      schema: {
        operationId: 'listActivities',
        tags,
        summary: 'Activities, newest first; or, with from and to, the occurrences due in a window',
        description: "A rep sees its own and its team's, a dealer its own and those on its customers and leads. With `from`/`to` a recurring task appears once per occurrence (`occursAt`), in time order.",
        querystring: ActivityListQuery,
        response: { 200: pageOf(Activity), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => activities.list(request.principal, request.query),
  );

  app.get(
    '/v1/activities/:id',
    { config: { access: readActivities }, schema: { operationId: 'getActivity', tags, summary: 'An activity', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: Activity, ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      const activity = await activities.get(request.principal, request.params.id);
      return reply.header('etag', etagOf(activity.version)).send(activity);
    },
  );

  app.patch(
    '/v1/activities/:id',
    {
      config: { access: logActivities },
      schema: {
        operationId: 'updateActivity',
        tags,
        summary: 'Reschedule or reword an open activity',
        description: 'If-Match with the ETag is required. A completed activity is on the record as it was (409).',
        params: Params,
        headers: IfMatchHeaders,
        body: ActivityChanges,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Activity, ...problemResponses(400, 401, 403, 404, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const activity = await activities.update(request.principal, request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(activity.version)).send(activity);
    },
  );

  app.delete(
    '/v1/activities/:id',
    {
      config: { access: logActivities },
      schema: {
        operationId: 'deleteActivity',
        tags,
        summary: 'Drop an open activity (its bookings go with it)',
        params: Params,
        response: { 204: z.null().describe('Deleted'), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await activities.remove(request.principal, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/activities/:id/complete',
    {
      config: { access: logActivities },
      schema: {
        operationId: 'completeActivity',
        tags,
        summary: 'Record that an activity happened, with its outcome',
        description:
          "An activity about a customer (directly, or through its lead or opportunity) lands on the customer's timeline. A completed call, meeting, visit, test drive or e-mail on a lead is its first contact. " +
          'Completing twice is a 409.',
        params: Params,
        body: CompleteActivity,
        response: { 200: Activity, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => activities.complete(request.principal, request.params.id, request.body),
  );

  app.get(
    '/v1/sales-reports/activity-counts',
    {
      config: { access: readReports },
      schema: {
        operationId: 'activityCounts',
        tags: ['sales-reports'],
        summary: 'Completed activities per month per rep (or dealer) per kind',
        description: "Months in the sales time zone; a rep sees its team's, a dealer its own. Counts can feed commissions (reps rewarded for logging contacts).",
        querystring: ActivityCountsQuery,
        response: { 200: ActivityCounts, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => activities.counts(request.principal, request.query),
  );
}
