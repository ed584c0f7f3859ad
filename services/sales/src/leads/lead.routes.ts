import { etagOf, IdempotencyKeyHeader, IfMatchHeaders, NDJSON, pageOf, problemResponses, readBatch, sendNdjson, sendsHeaders, type AccessRule, type App, type NdjsonLimits } from '@crm/platform';
import { z } from 'zod';
import { administer, SALES_READERS, SALES_STAFF } from '../access';
import {
  AssignLead,
  AssignmentRuleChanges,
  AssignmentRuleView,
  CapturedLead,
  ContactLead,
  Conversion,
  ConvertLead,
  DisqualifyLead,
  HotLeadList,
  HotLeadQuery,
  Lead,
  LeadBatchAnswer,
  LeadBatchBody,
  LeadChanges,
  LeadListQuery,
  LeadResponseQuery,
  LeadResponseReport,
  MAX_JSON_LEAD_BATCH,
  NewAssignmentRule,
  NewLead,
  NewRatingRule,
  RatingRuleChanges,
  RatingRuleView,
  RejectLead,
} from './lead.schemas';
import type { LeadService } from './lead.service';
import type { LeadRulesService } from './lead-rules.service';

const captureLeads: AccessRule = { action: 'capture leads', staff: SALES_STAFF, dealer: true, integration: true };
const readLeads: AccessRule = { action: 'read leads', staff: SALES_READERS, dealer: true, integration: true };
const workLeads: AccessRule = { action: 'work leads', staff: SALES_STAFF, dealer: true, integration: false };
const readRules: AccessRule = { action: 'read lead rules', staff: SALES_READERS, dealer: false, integration: false };
const Params = z.object({ id: z.uuid() });
const tags = ['leads'];
const ruleTags = ['lead-rules'];

export function leadRoutes(app: App, { leads, rules, ndjson }: { leads: LeadService; rules: LeadRulesService; ndjson: NdjsonLimits }): void {
  app.post(
    '/v1/leads',
    {
      config: { access: captureLeads },
      schema: {
        operationId: 'captureLead',
        tags,
        summary: 'Capture a lead: deduplicated, rated, routed',
        description:
          'An open lead with the same e-mail or phone takes the capture as a touch (200, `deduplicated` says which and on what); otherwise a new lead (201) is ' +
          'linked to the known customer the customers service matches (`matchedCustomer`; when that service does not answer the lead is kept without, `customerMatch: unavailable`), ' +
          'rated by the rating rules and placed by the assignment rules (a dealer\'s own capture stays with it). Idempotency-Key makes a retry answer the same.',
        headers: z.looseObject({ 'idempotency-key': IdempotencyKeyHeader }),
        body: NewLead,
        response: { 200: CapturedLead, 201: CapturedLead, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const { statusCode, body } = await leads.capture(request.principal, request.body, request.headers['idempotency-key']);
      const id = (body as { leadId?: string }).leadId;
      if (statusCode === 201 && id) void reply.header('location', `/v1/leads/${id}`);
      return reply.code(statusCode as 200 | 201).send(body as z.infer<typeof CapturedLead>);
    },
  );

  app.post(
    '/v1/leads/batch',
    {
      bodyLimit: 64 * 1024 * 1024,
      config: { access: captureLeads },
      schema: {
        operationId: 'captureLeadsBatch',
        tags,
        summary: `Capture up to ${MAX_JSON_LEAD_BATCH} leads (JSON), or any number as an NDJSON stream`,
        description:
          'JSON: `{ "items": [NewLead…] }` → per-item results. `Content-Type: application/x-ndjson`: one NewLead per line → an NDJSON stream of per-line results ' +
          '(`index` = line number − 1), then `{ "summary": … }`. Each item is checked on its own; a chunk is deduplicated (against open leads and within itself), ' +
          'matched against known customers (one call), rated, routed and written set-based in one transaction.',
        consumes: ['application/json', NDJSON],
        body: LeadBatchBody,
        response: { 200: LeadBatchAnswer, ...problemResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const batch = await readBatch(request, reply, ndjson);
      if (batch.kind === 'json') return leads.captureBatch(request.principal, batch.items);
      return sendNdjson(reply, leads.captureStream(request.principal, batch.lines));
    },
  );

  app.get(
    '/v1/leads',
    {
      config: { access: readLeads },
      schema: {
        operationId: 'listLeads',
        tags,
        summary: 'Leads, newest first',
        description: "A rep sees its own and its team's, a manager its teams', a dealer its own.",
        querystring: LeadListQuery,
        response: { 200: pageOf(Lead), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => leads.list(request.principal, request.query),
  );

  app.get(
    '/v1/leads/hot',
    {
      config: { access: readLeads },
      schema: {
        operationId: 'listHotLeads',
        tags,
        summary: 'The daily hot-lead list per dealer, oldest first, with aging',
        description: 'Hot leads captured up to the end of `date` (in the service zone) and still being worked; `overdue` when the first-contact SLA has passed without a contact.',
        querystring: HotLeadQuery,
        response: { 200: HotLeadList, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => leads.hotLeads(request.principal, request.query),
  );

  app.get(
    '/v1/leads/:id',
    { config: { access: readLeads }, schema: { operationId: 'getLead', tags, summary: 'A lead with its routing history and touches', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: Lead, ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      const lead = await leads.get(request.principal, request.params.id);
      return reply.header('etag', etagOf(lead.version)).send(lead);
    },
  );

  app.patch(
    '/v1/leads/:id',
    {
      config: { access: workLeads },
      schema: {
        operationId: 'updateLead',
        tags,
        summary: 'Change what a lead says; its rating is recomputed',
        params: Params,
        headers: IfMatchHeaders,
        body: LeadChanges,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Lead, ...problemResponses(400, 401, 403, 404, 409, 412, 428) },
      },
    },
    async (request, reply) => {
      const lead = await leads.update(request.principal, request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(lead.version)).send(lead);
    },
  );

  app.post(
    '/v1/leads/:id/accept',
    { config: { access: workLeads }, schema: { operationId: 'acceptLead', tags, summary: 'The assigned dealer or rep takes the lead on', params: Params, response: { 200: Lead, ...problemResponses(400, 401, 403, 404, 409) } } },
    async (request) => leads.accept(request.principal, request.params.id),
  );

  app.post(
    '/v1/leads/:id/reject',
    {
      config: { access: workLeads },
      schema: {
        operationId: 'rejectLead',
        tags,
        summary: 'The assignee passes the lead on: it is routed to the next rule or dealer',
        description: 'The lead leaves the rejecting dealer (which no longer sees it); the routing history says where it went and why.',
        params: Params,
        body: RejectLead,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await leads.reject(request.principal, request.params.id, request.body.reasonCode);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/leads/:id/contact',
    {
      config: { access: workLeads },
      schema: {
        operationId: 'recordLeadContact',
        tags,
        summary: 'Record the first contact (stops the first-contact SLA clock)',
        params: Params,
        body: ContactLead,
        response: { 200: Lead, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => leads.contact(request.principal, request.params.id, request.body.at ? new Date(request.body.at) : undefined),
  );

  app.post(
    '/v1/leads/:id/assign',
    {
      config: { access: administer },
      schema: {
        operationId: 'assignLead',
        tags,
        summary: 'Place a lead by hand with a dealer or a rep (working the fallback queue, or moving it on)',
        description: 'The routing history records who placed it; a dealer it leaves is passed over by later routing. 409 when it is with that dealer or rep already, or closed.',
        params: Params,
        body: AssignLead,
        response: { 200: Lead, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => leads.assign(request.principal, request.params.id, request.body),
  );

  app.post(
    '/v1/leads/:id/disqualify',
    { config: { access: workLeads }, schema: { operationId: 'disqualifyLead', tags, summary: 'Close a lead as not a prospect, with a reason code', params: Params, body: DisqualifyLead, response: { 200: Lead, ...problemResponses(400, 401, 403, 404, 409) } } },
    async (request) => leads.disqualify(request.principal, request.params.id, request.body.reasonCode),
  );

  app.post(
    '/v1/leads/:id/convert',
    {
      config: { access: workLeads },
      schema: {
        operationId: 'convertLead',
        tags,
        summary: 'Convert a lead: customer (existing or new) + opportunity in one call',
        description:
          'Without `customerId` the lead\'s linked customer is used, or a new one is created through the customers service with an Idempotency-Key derived from the lead ' +
          '(a retried conversion never creates a second customer). 502 when the customers service does not answer.',
        params: Params,
        body: ConvertLead,
        response: { 200: Conversion, ...problemResponses(400, 401, 403, 404, 409, 422, 502) },
      },
    },
    async (request) => leads.convert(request.principal, request.params.id, request.body),
  );

  app.get(
    '/v1/sales-reports/lead-response',
    {
      config: { access: readLeads },
      schema: {
        operationId: 'leadResponseReport',
        tags: ['sales-reports'],
        summary: "Dealers' acceptance rate and time to first contact",
        description: 'Over the placements made in [from, to): per dealer, how many it was given, accepted, rejected, contacted, the median and mean hours to first contact, SLA breaches.',
        querystring: LeadResponseQuery,
        response: { 200: LeadResponseReport, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => leads.responseReport(request.principal, request.query),
  );

  // ---- rules (admin): ordered by position, the first that matches wins ----

  app.post(
    '/v1/lead-rating-rules',
    { config: { access: administer }, schema: { operationId: 'createLeadRatingRule', tags: ruleTags, summary: 'Create a lead rating rule', body: NewRatingRule, ...sendsHeaders({ 201: ['Location', 'ETag'] }), response: { 201: RatingRuleView, ...problemResponses(400, 401, 403, 422) } } },
    async (request, reply) => {
      const rule = await rules.createRatingRule(request.body);
      return reply.code(201).header('location', `/v1/lead-rating-rules/${rule.id}`).header('etag', etagOf(rule.version)).send(rule);
    },
  );
  app.get(
    '/v1/lead-rating-rules',
    { config: { access: readRules }, schema: { operationId: 'listLeadRatingRules', tags: ruleTags, summary: 'The lead rating rules in order (the first that matches wins)', response: { 200: z.object({ items: z.array(RatingRuleView) }), ...problemResponses(401, 403) } } },
    async () => rules.listRatingRules(),
  );
  app.get(
    '/v1/lead-rating-rules/:id',
    { config: { access: readRules }, schema: { operationId: 'getLeadRatingRule', tags: ruleTags, summary: 'A lead rating rule', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: RatingRuleView, ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      const rule = await rules.getRatingRule(request.params.id);
      return reply.header('etag', etagOf(rule.version)).send(rule);
    },
  );
  app.patch(
    '/v1/lead-rating-rules/:id',
    {
      config: { access: administer },
      schema: { operationId: 'updateLeadRatingRule', tags: ruleTags, summary: 'Change a lead rating rule', params: Params, headers: IfMatchHeaders, body: RatingRuleChanges, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: RatingRuleView, ...problemResponses(400, 401, 403, 404, 412, 422, 428) } },
    },
    async (request, reply) => {
      const rule = await rules.updateRatingRule(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(rule.version)).send(rule);
    },
  );
  app.delete(
    '/v1/lead-rating-rules/:id',
    { config: { access: administer }, schema: { operationId: 'deleteLeadRatingRule', tags: ruleTags, summary: 'Delete a lead rating rule', params: Params, response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      await rules.deleteRatingRule(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/lead-assignment-rules',
    { config: { access: administer }, schema: { operationId: 'createLeadAssignmentRule', tags: ruleTags, summary: 'Create a lead assignment rule', body: NewAssignmentRule, ...sendsHeaders({ 201: ['Location', 'ETag'] }), response: { 201: AssignmentRuleView, ...problemResponses(400, 401, 403, 422) } } },
    async (request, reply) => {
      const rule = await rules.createAssignmentRule(request.body);
      return reply.code(201).header('location', `/v1/lead-assignment-rules/${rule.id}`).header('etag', etagOf(rule.version)).send(rule);
    },
  );
  app.get(
    '/v1/lead-assignment-rules',
    { config: { access: readRules }, schema: { operationId: 'listLeadAssignmentRules', tags: ruleTags, summary: 'The lead assignment rules in order (the first that matches wins)', response: { 200: z.object({ items: z.array(AssignmentRuleView) }), ...problemResponses(401, 403) } } },
    async () => rules.listAssignmentRules(),
  );
  app.get(
    '/v1/lead-assignment-rules/:id',
    { config: { access: readRules }, schema: { operationId: 'getLeadAssignmentRule', tags: ruleTags, summary: 'A lead assignment rule', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: AssignmentRuleView, ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      const rule = await rules.getAssignmentRule(request.params.id);
      return reply.header('etag', etagOf(rule.version)).send(rule);
    },
  );
  app.patch(
    '/v1/lead-assignment-rules/:id',
    {
      config: { access: administer },
      schema: { operationId: 'updateLeadAssignmentRule', tags: ruleTags, summary: 'Change a lead assignment rule', params: Params, headers: IfMatchHeaders, body: AssignmentRuleChanges, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: AssignmentRuleView, ...problemResponses(400, 401, 403, 404, 412, 422, 428) } },
    },
    async (request, reply) => {
      const rule = await rules.updateAssignmentRule(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(rule.version)).send(rule);
    },
  );
  app.delete(
    '/v1/lead-assignment-rules/:id',
    { config: { access: administer }, schema: { operationId: 'deleteLeadAssignmentRule', tags: ruleTags, summary: 'Delete a lead assignment rule', params: Params, response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      await rules.deleteAssignmentRule(request.params.id);
      return reply.code(204).send(null);
    },
  );
}
