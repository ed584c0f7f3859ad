import { etagOf, IdempotencyKeyHeader, IfMatchHeaders, pageOf, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { z } from 'zod';
import { SALES_READERS, SALES_STAFF } from '../access';
import { LoseOpportunity, MoveStage, NewOpportunity, Opportunity, OpportunityChanges, OpportunityListQuery, WinOpportunity } from './opportunity.schemas';
import type { OpportunityService } from './opportunity.service';

// Account users are not granted opportunities (the issue gives them price books, quotes and orders only).
const workOpportunities: AccessRule = { action: 'work opportunities', staff: SALES_STAFF, dealer: true, integration: true };
const readOpportunities: AccessRule = { action: 'read opportunities', staff: SALES_READERS, dealer: true, integration: true };
const Params = z.object({ id: z.uuid() });
const tags = ['opportunities'];
const withEtag = <T extends { version: number }>(reply: { header(name: string, value: string): unknown }, opportunity: T) => {
  reply.header('etag', etagOf(opportunity.version));
  return opportunity;
};

export function opportunityRoutes(app: App, opportunities: OpportunityService): void {
  app.post(
    '/v1/opportunities',
    {
      config: { access: workOpportunities },
      schema: {
        operationId: 'createOpportunity',
        tags,
        summary: 'Open an opportunity for a customer in a pipeline',
        description:
          "In the given pipeline or the channel's default, in its first open stage unless another is named. A rep owns what it creates (or gives it to its team), a dealer owns it as the dealer. " +
          'The amount may be in any currency: `amountInBase` converts it at the rate scoring sets (null with the reason when none is known). Idempotency-Key makes a retry return the same opportunity.',
        headers: z.looseObject({ 'idempotency-key': IdempotencyKeyHeader }),
        body: NewOpportunity,
        ...sendsHeaders({ 201: ['Location', 'ETag'] }),
        response: { 201: Opportunity, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const opportunity = await opportunities.create(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/opportunities/${opportunity.id}`).header('etag', etagOf(opportunity.version)).send(opportunity);
    },
  );

  app.get(
    '/v1/opportunities',
    {
      config: { access: readOpportunities },
      schema: {
        operationId: 'listOpportunities',
        tags,
        summary: 'Opportunities, newest first, filtered',
        description: "A rep sees its own and its team's, a manager its teams', a dealer its own.",
        querystring: OpportunityListQuery,
        response: { 200: pageOf(Opportunity), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => opportunities.list(request.principal, request.query),
  );

  app.get(
    '/v1/opportunities/:id',
    {
      config: { access: readOpportunities },
      schema: { operationId: 'getOpportunity', tags, summary: 'An opportunity with its stage history and buying-role contacts', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: Opportunity, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => withEtag(reply, await opportunities.get(request.principal, request.params.id)),
  );

  app.patch(
    '/v1/opportunities/:id',
    {
      config: { access: workOpportunities },
      schema: {
        operationId: 'updateOpportunity',
        tags,
        summary: 'Change an open opportunity (name, amount, expected close date, owner, product line, contacts)',
        description: 'Stages move through `/stage`, `/won` and `/lost`. A won or lost opportunity no longer changes (409).',
        params: Params,
        headers: IfMatchHeaders,
        body: OpportunityChanges,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Opportunity, ...problemResponses(400, 401, 403, 404, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => withEtag(reply, await opportunities.update(request.principal, request.params.id, request.body, request.headers['if-match'])),
  );

  app.post(
    '/v1/opportunities/:id/stage',
    {
      config: { access: workOpportunities },
      schema: {
        operationId: 'moveOpportunityStage',
        tags,
        summary: 'Move an open opportunity to another open stage of its pipeline',
        description: "Forward or back; the stage's default probability and forecast category apply. A won or lost opportunity cannot move (409 invalid-transition); a stage the pipeline lacks is a 422.",
        params: Params,
        body: MoveStage,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Opportunity, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => withEtag(reply, await opportunities.moveStage(request.principal, request.params.id, request.body.stage)),
  );

  app.post(
    '/v1/opportunities/:id/won',
    {
      config: { access: workOpportunities },
      schema: {
        operationId: 'winOpportunity',
        tags,
        summary: 'Mark an open opportunity won',
        description: 'It closes today (in the sales time zone) at 100 %, category `closed`; 409 when it is closed already.',
        params: Params,
        body: WinOpportunity,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Opportunity, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => withEtag(reply, await opportunities.win(request.principal, request.params.id, request.body)),
  );

  app.post(
    '/v1/opportunities/:id/lost',
    {
      config: { access: workOpportunities },
      schema: {
        operationId: 'loseOpportunity',
        tags,
        summary: 'Mark an open opportunity lost, with the reason and the competitor',
        description: 'It closes today at 0 % and leaves the forecast; 409 when it is closed already.',
        params: Params,
        body: LoseOpportunity,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Opportunity, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => withEtag(reply, await opportunities.lose(request.principal, request.params.id, request.body)),
  );
}
