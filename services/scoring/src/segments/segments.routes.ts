import { etagOf, IfMatchHeaders, pageOf, problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import type { SegmentService } from './segments.service';
import {
  CreateSegmentBody,
  CreateSegmentHeaders,
  PreviewSegmentBody,
  Segment,
  SegmentMember,
  SegmentPageQuery,
  SegmentParams,
  SegmentPreview,
  UpdateSegmentBody,
} from './segments.schemas';

const tags = ['segments'];

/** Segments are marketing's: admins and marketers manage them; staff and integrations read them; dealers neither. */
export function segmentRoutes(app: App, segments: SegmentService): void {
  app.post(
    '/v1/segments',
    {
      config: { access: access.manageSegments },
      schema: {
        operationId: 'createSegment',
        tags,
        summary: 'Create a segment (admin, marketing); its members are materialised at once',
        headers: CreateSegmentHeaders,
        body: CreateSegmentBody,
        response: { 201: Segment, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const segment = await segments.create(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/segments/${segment.id}`).header('etag', etagOf(segment.version)).send(segment);
    },
  );

  app.get(
    '/v1/segments',
    {
      config: { access: access.readSegments },
      schema: { operationId: 'listSegments', tags, summary: 'Segments, oldest first', querystring: SegmentPageQuery, response: { 200: pageOf(Segment), ...problemResponses(400, 401, 403) } },
    },
    async (request) => segments.list(request.query),
  );

  app.post(
    '/v1/segments/preview',
    {
      config: { access: access.manageSegments },
      schema: {
        operationId: 'previewSegment',
        tags,
        summary: 'How many customers a rule selects now, and the first of them, without saving anything',
        body: PreviewSegmentBody,
        response: { 200: SegmentPreview, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request) => segments.preview(request.body.rule),
  );

  app.get(
    '/v1/segments/:id',
    {
      config: { access: access.readSegments },
      schema: { operationId: 'getSegment', tags, summary: 'A segment, with its ETag', params: SegmentParams, response: { 200: Segment, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const segment = await segments.get(request.params.id);
      return reply.header('etag', etagOf(segment.version)).send(segment);
    },
  );

  app.patch(
    '/v1/segments/:id',
    {
      config: { access: access.manageSegments },
      schema: {
        operationId: 'updateSegment',
        tags,
        summary: 'Change a segment (If-Match required); a new rule re-materialises its members',
        params: SegmentParams,
        headers: IfMatchHeaders,
        body: UpdateSegmentBody,
        response: { 200: Segment, ...problemResponses(400, 401, 403, 404, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const segment = await segments.update(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(segment.version)).send(segment);
    },
  );

  app.delete(
    '/v1/segments/:id',
    {
      config: { access: access.manageSegments },
      schema: {
        operationId: 'deleteSegment',
        tags,
        summary: 'Delete a segment; every member leaves (segment-left). If-Match is checked when sent',
        params: SegmentParams,
        headers: IfMatchHeaders,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      await segments.delete(request.params.id, request.headers['if-match']);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/segments/:id/members',
    {
      config: { access: access.readSegments },
      schema: {
        operationId: 'listSegmentMembers',
        tags,
        summary: 'A segment’s current members, by customer id (staff and integrations, e.g. campaigns)',
        params: SegmentParams,
        querystring: SegmentPageQuery,
        response: { 200: pageOf(SegmentMember), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => segments.members(request.params.id, request.query),
  );
}
