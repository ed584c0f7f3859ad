import { etagOf, IfMatchHeaders, PageQuery, pageOf, problemResponses, sendsHeaders, type App } from '@crm/platform';
import { z } from 'zod';
import { administer, SALES_READERS } from '../access';
import { NewTeam, Team, TeamChanges } from './team.schemas';
import type { TeamService } from './team.service';

const tags = ['sales-teams'];
const readTeams = { action: 'read sales teams', staff: SALES_READERS, dealer: false, integration: false };
const Params = z.object({ id: z.uuid() });

export function teamRoutes(app: App, teams: TeamService): void {
  app.post(
    '/v1/sales-teams',
    {
      config: { access: administer },
      schema: {
        operationId: 'createSalesTeam',
        tags,
        summary: 'Create a sales team with its reps and managers',
        body: NewTeam,
        ...sendsHeaders({ 201: ['Location', 'ETag'] }),
        response: { 201: Team, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const team = await teams.create(request.body);
      return reply.code(201).header('location', `/v1/sales-teams/${team.id}`).header('etag', etagOf(team.version)).send(team);
    },
  );

  app.get(
    '/v1/sales-teams',
    { config: { access: readTeams }, schema: { operationId: 'listSalesTeams', tags, summary: 'List sales teams', querystring: PageQuery, response: { 200: pageOf(Team), ...problemResponses(400, 401, 403) } } },
    async (request) => teams.list(request.query),
  );

  app.get(
    '/v1/sales-teams/:id',
    {
      config: { access: readTeams },
      schema: { operationId: 'getSalesTeam', tags, summary: 'A sales team', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: Team, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const team = await teams.get(request.params.id);
      return reply.header('etag', etagOf(team.version)).send(team);
    },
  );

  app.patch(
    '/v1/sales-teams/:id',
    {
      config: { access: administer },
      schema: {
        operationId: 'updateSalesTeam',
        tags,
        summary: 'Rename a team, change its product lines or replace its members',
        description: '`members`, when given, is the whole new list: reps who stay keep their round-robin turn.',
        params: Params,
        headers: IfMatchHeaders,
        body: TeamChanges,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Team, ...problemResponses(400, 401, 403, 404, 412, 428) },
      },
    },
    async (request, reply) => {
      const team = await teams.update(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(team.version)).send(team);
    },
  );
}
